/**
 * Hand-computed cases on a 2-D example, checkable on paper.
 *
 * Test points T0 = (1, 0), T1 = (0, 1). Cosine distance = −cosine, so for unit x: d(x, T0) = −x₁,
 * d(x, T1) = −x₂. Training points (unit vectors):
 *
 *   row  x             d(T0)  d(T1)   min   max   avg   nearest test
 *   0    ( 0.6,  0.8)  −0.6   −0.8   −0.8  −0.6  −0.7   T1
 *   1    ( 1,    0  )  −1      0     −1     0    −0.5   T0
 *   2    ( 0.8,  0.6)  −0.8   −0.6   −0.8  −0.6  −0.7   T0
 *   3    (−1,    0  )   1      0      0     1     0.5   T1
 *   4    ( 0,   −1  )   0      1      0     1     0.5   T0
 *   5    ( 0.6, −0.8)  −0.6    0.8   −0.6   0.8   0.1   T0
 *
 * TMA (nearest): round 1: T0 → 1, T1 → 0. Round 2 (left 2,3,4,5): T0 → 2 (−0.8), T1 → 2 (−0.6): one
 * pick counted once. Round 3 (left 3,4,5): T0 → 5 (−0.6), T1 → 3 (0). Round 4: 4 (both; d = 0).
 * TMA (farthest): round 1: T0 → 3 (1), T1 → 4 (1). Round 2 (left 0,1,2,5): T0: rows 0 and 5 tie at −0.6
 * → 0 (lowest index); T1 → 5 (0.8). Round 3: T0 → 2 (−0.8), T1 → 1 (0).
 * WSD: mean AD = −0.8/6, mean MD = −3.2/6, w = 0.25; WSD = AD + 0.25·MD = −0.9, −0.75, −0.9, 0.5, 0.5, −0.05.
 */
import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import type { TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix, singleTask } from "./helpers.js";

const train = matrix([
  [0.6, 0.8],
  [1, 0],
  [0.8, 0.6],
  [-1, 0],
  [0, -1],
  [0.6, -0.8],
]);
const test = matrix([
  [1, 0],
  [0, 1],
]);
const gemm = createTsGemm();
const one = singleTask(6);
const run = (options: Omit<ArrangeAlgoOptions, "seed" | "gemm">, tasks: TaskIndex = one) =>
  arrangeEmbeddings(train, test, tasks, { seed: 7, gemm, ...options });
const close = (actual: ArrayLike<number> | undefined, expected: number[]) => {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(actual![k]!).toBeCloseTo(expected[k]!, 5);
};

describe("TMA on the 2-D example", () => {
  it("nearest-first: rounds in order, a point picked by two test points counted once", async () => {
    const r = await run({ strategy: "tma", withinRound: "index" });
    expect(Array.from(r.order)).toEqual([0, 1, 2, 3, 5, 4]);
    expect(Array.from(r.round!)).toEqual([1, 1, 2, 3, 3, 4]);
    expect(r.roundSizes).toEqual([2, 1, 2, 1]);
    expect(Array.from(r.pickedBy!)).toEqual([1, 0, 0, 1, 0, 0]);
    close(r.value, [-0.8, -1, -0.8, 0, -0.6, 0]);
    expect(Array.from(r.nearestTest)).toEqual([1, 0, 0, 1, 0, 0]);
    close(r.nearestDistance, [-0.8, -1, -0.8, 0, -0.6, 0]);
  });

  it("farthest-first: rounds reversed, ascending rows inside each round", async () => {
    const r = await run({ strategy: "tma", order: "farthest-first", withinRound: "index" });
    expect(Array.from(r.order)).toEqual([4, 3, 5, 2, 0, 1]);
    expect(Array.from(r.round!)).toEqual([4, 3, 3, 2, 1, 1]);
  });

  it("by default shuffles the rows inside each round with the seed and keeps the rounds in order", async () => {
    const r = await run({ strategy: "tma" });
    // Rounds (0,1), (2), (3,5), (4) as with index order; inside rounds a seeded permutation (seed 7).
    expect(Array.from(r.round!)).toEqual([1, 1, 2, 3, 3, 4]);
    expect(Array.from(r.order)).toEqual([0, 1, 2, 5, 3, 4]);
    const again = await run({ strategy: "tma" });
    expect(Array.from(again.order)).toEqual(Array.from(r.order));
    const f = await run({ strategy: "tma", order: "farthest-first" });
    expect(Array.from(f.round!)).toEqual([4, 3, 3, 2, 1, 1]);
    expect(Array.from(f.order)).toEqual([4, 3, 5, 2, 1, 0]);
    const other = await arrangeEmbeddings(train, test, one, { strategy: "tma", seed: 8, gemm });
    expect(Array.from(other.round!)).toEqual([1, 1, 2, 3, 3, 4]);
  });

  it("random: a seeded shuffle of the same rows, reproducible", async () => {
    const a = await run({ strategy: "tma", order: "random" });
    const b = await run({ strategy: "tma", order: "random" });
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect([...a.order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Metadata follows its row.
    const roundOfRow = new Map([0, 1, 2, 3, 5, 4].map((row, k) => [row, [1, 1, 2, 3, 3, 4][k]]));
    for (const [k, row] of a.order.entries()) expect(a.round![k]).toBe(roundOfRow.get(row));
  });

  it("pick farthest: each test point takes its farthest remaining row; ties to the lowest index", async () => {
    const r = await run({ strategy: "tma", pick: "farthest", withinRound: "index" });
    expect(Array.from(r.order)).toEqual([3, 4, 0, 5, 1, 2]);
    expect(Array.from(r.round!)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(Array.from(r.pickedBy!)).toEqual([0, 1, 0, 1, 1, 0]);
    close(r.value, [1, 1, -0.6, 0.8, 0, -0.8]);
  });

  it("distance ties go to the lowest training index", async () => {
    // Rows 0 and 2 are the same point; T0 takes row 0 in round 1 and row 2 in round 2.
    const tr = matrix([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    const r = await arrangeEmbeddings(tr, matrix([[1, 0]]), singleTask(3), {
      strategy: "tma",
      seed: 1,
      gemm,
    });
    expect(Array.from(r.order)).toEqual([0, 2, 1]);
    expect(r.roundSizes).toEqual([1, 1, 1]);
    // Two test points at the same place pick the same row: one pick per round.
    const two = await arrangeEmbeddings(
      tr,
      matrix([
        [1, 0],
        [1, 0],
      ]),
      singleTask(3),
      { strategy: "tma", seed: 1, gemm },
    );
    expect(Array.from(two.order)).toEqual([0, 2, 1]);
    expect(Array.from(two.pickedBy!)).toEqual([0, 0, 0]);
  });

  it("task granularity: TMA over task means, each task's rows in input order", async () => {
    // Tasks A = {0, 3}, B = {1, 4}, C = {2, 5}; means A = (−0.2, 0.4), B = (0.5, −0.5), C = (0.7, −0.1).
    // cos with T0: A −0.447, B 0.707, C 0.990; with T1: A 0.894, B −0.707, C −0.141.
    // Round 1: T0 → C, T1 → A (tasks in first-appearance order: A, C); round 2: B.
    const tasks: TaskIndex = { taskOf: Int32Array.from([0, 1, 2, 0, 1, 2]), names: ["A", "B", "C"] };
    const r = await run({ strategy: "tma", granularity: "task" }, tasks);
    expect(Array.from(r.order)).toEqual([0, 3, 2, 5, 1, 4]);
    expect(Array.from(r.round!)).toEqual([1, 1, 1, 1, 2, 2]);
    expect(r.roundSizes).toEqual([4, 2]);
    const [a, c, b] = [2 / Math.sqrt(5), 0.7 / Math.sqrt(0.5), Math.SQRT1_2];
    close(r.value, [-a, -a, -c, -c, -b, -b]);
    const ff = await run({ strategy: "tma", granularity: "task", order: "farthest-first" }, tasks);
    expect(Array.from(ff.order)).toEqual([1, 4, 0, 3, 2, 5]);
    // Nearest test rows stay per example.
    expect(Array.from(r.nearestTest)).toEqual([1, 1, 0, 0, 0, 0]);
  });
});

describe("rank on the 2-D example", () => {
  const cases: [ArrangeAlgoOptions["measure"], number[], number[]][] = [
    // measure, nearest-first order, farthest-first order (ties ascending in both)
    ["cos-min", [1, 0, 2, 5, 3, 4], [3, 4, 5, 0, 2, 1]],
    ["cos-avg", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    ["cos-max", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    ["cos-centroid", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    ["wsd", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    // Euclidean on unit vectors: sqrt(2 − 2cos); min: 0.632, 0, 0.632, 1.414, 1.414, 0.894.
    ["euc-min", [1, 0, 2, 5, 3, 4], [3, 4, 5, 0, 2, 1]],
    // max: sqrt(2 + 2·max distance): 1.265, 1.414, 1.265, 2, 2, 1.897.
    ["euc-max", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
  ];
  for (const [measure, nf, ff] of cases) {
    it(`${measure}: ascending, descending, ties by the lower index`, async () => {
      const a = await run({ strategy: "rank", measure });
      expect(Array.from(a.order)).toEqual(nf);
      const b = await run({ strategy: "rank", measure, order: "farthest-first" });
      expect(Array.from(b.order)).toEqual(ff);
    });
  }

  it("values and the WSD weight", async () => {
    const wsd = await run({ strategy: "rank" });
    expect(wsd.wsdWeight).toBeCloseTo(0.25, 6);
    close(wsd.value, [-0.9, -0.9, -0.75, -0.05, 0.5, 0.5]);
    const avg = await run({ strategy: "rank", measure: "cos-avg" });
    close(avg.value, [-0.7, -0.7, -0.5, 0.1, 0.5, 0.5]);
    expect(avg.wsdWeight).toBeUndefined();
    const cen = await run({ strategy: "rank", measure: "cos-centroid" });
    const s = Math.SQRT1_2;
    close(cen.value, [-1.4 * s, -1.4 * s, -s, 0.2 * s, s, s]);
    const emin = await run({ strategy: "rank", measure: "euc-min" });
    close(emin.value, [0, Math.sqrt(0.4), Math.sqrt(0.4), Math.sqrt(0.8), Math.SQRT2, Math.SQRT2]);
    const eavg = await run({ strategy: "rank", measure: "euc-avg" });
    // Row 1: (0 + sqrt 2)/2; rows 0, 2: (sqrt 0.8 + sqrt 0.4)/2.
    expect(Array.from(eavg.order).slice(0, 3)).toEqual([1, 0, 2]);
    close(eavg.value?.subarray(0, 2), [Math.SQRT2 / 2, (Math.sqrt(0.8) + Math.sqrt(0.4)) / 2]);
  });

  it("task granularity ranks task means (cos-avg: C, A, B)", async () => {
    // Task cos-avg: A (0.447 − 0.894)/2 = −0.224, B 0, C (−0.990 + 0.141)/2 = −0.424.
    const tasks: TaskIndex = { taskOf: Int32Array.from([0, 1, 2, 0, 1, 2]), names: ["A", "B", "C"] };
    const r = await run({ strategy: "rank", measure: "cos-avg", granularity: "task" }, tasks);
    expect(Array.from(r.order)).toEqual([2, 5, 0, 3, 1, 4]);
    close(r.value, [-0.424264, -0.424264, -0.223607, -0.223607, 0, 0]);
    const ff = await run(
      { strategy: "rank", measure: "cos-avg", granularity: "task", order: "farthest-first" },
      tasks,
    );
    expect(Array.from(ff.order)).toEqual([1, 4, 0, 3, 2, 5]);
  });
});

describe("task schedules", () => {
  // Tasks by row: A A B C A B A → A = [0, 1, 4, 6], B = [2, 5], C = [3].
  const tasks: TaskIndex = { taskOf: Int32Array.from([0, 0, 1, 2, 0, 1, 0]), names: ["A", "B", "C"] };
  const tr = matrix(Array.from({ length: 7 }, (_, i) => [Math.cos(i), Math.sin(i)]));
  const go = (options: Omit<ArrangeAlgoOptions, "seed" | "gemm">, seed = 3) =>
    arrangeEmbeddings(tr, test, tasks, { seed, gemm, ...options });

  it("round-robin: one example of each task per pass; tasks that run out drop out", async () => {
    expect(Array.from((await go({ strategy: "round-robin" })).order)).toEqual([0, 2, 3, 1, 5, 4, 6]);
  });

  it("cluster: each task's examples contiguous, in order of first appearance", async () => {
    expect(Array.from((await go({ strategy: "cluster" })).order)).toEqual([0, 1, 4, 6, 2, 5, 3]);
  });

  it("task order follows first appearance, not the names' order", async () => {
    const renamed: TaskIndex = { taskOf: Int32Array.from([2, 2, 0, 1, 2, 0, 2]), names: ["B", "C", "A"] };
    const r = await arrangeEmbeddings(tr, test, renamed, { strategy: "cluster", seed: 1, gemm });
    expect(Array.from(r.order)).toEqual([0, 1, 4, 6, 2, 5, 3]);
  });

  it("random order is reproducible and keeps each schedule's shape (the exact shuffle: order.test.ts)", async () => {
    for (const strategy of ["round-robin", "cluster"] as const) {
      const a = await go({ strategy, order: "random" }, 11);
      const b = await go({ strategy, order: "random" }, 11);
      expect(Array.from(a.order)).toEqual(Array.from(b.order));
      expect([...a.order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
    // Cluster with random order still keeps each task contiguous.
    const c = await go({ strategy: "cluster", order: "random" }, 5);
    const taskSeq = Array.from(c.order, (i) => tasks.taskOf[i]);
    const runs = taskSeq.filter((t, k) => k === 0 || t !== taskSeq[k - 1]);
    expect(runs.length).toBe(3);
    // Round-robin with random order: a pass holds each task at most once.
    const rr = await go({ strategy: "round-robin", order: "random" }, 5);
    const firstPass = Array.from(rr.order.subarray(0, 3), (i) => tasks.taskOf[i]);
    expect(new Set(firstPass).size).toBe(3);
  });

  it("random strategy: a seeded permutation; different seeds differ", async () => {
    const a = await go({ strategy: "random" }, 1);
    const b = await go({ strategy: "random" }, 1);
    const c = await go({ strategy: "random" }, 2);
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect([...a.order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(a.order)).not.toEqual(Array.from(c.order));
    expect(a.round).toBeUndefined();
    expect(a.nearestTest.length).toBe(7);
  });
});
