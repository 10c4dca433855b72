// squaredEuclidean (src/similarity/euclidean.ts) through each of its callers: aggregates, measures, the TMA
// ranking, the analyze stream and the prefix curves.
import { afterAll, describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/arrange-embeddings.js";
import type { Matrix } from "../../src/core/types.js";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import type { GemmEngine } from "../../src/linalg/types.js";
import { streamDistanceBlocks } from "../../src/similarity/distance-blocks.js";
import { computeMeasure } from "../../src/similarity/measure.js";
import { prefixDistances } from "../../src/similarity/prefix-curves.js";
import { trainTestAggregates } from "../../src/similarity/train-test-aggregates.js";
import { randomEmbeddings, singleTask } from "../arrange/helpers.js";

// Sentence-encoder-like rows: 384-d unit vectors. Training rows 7, 30, 31 and 150 are copies of test rows
// 3, 10, 10 and 0; with ‖x‖² + ‖t‖² − 2x·t in float32 such copies came out at up to ~3e-4, not 0.
const D = 384;
const test = randomEmbeddings(40, 11, { d: D, clusters: 3, spread: 0.3 });
const base = randomEmbeddings(200, 12, { d: D, clusters: 3, spread: 0.3 });
const COPIES: [number, number][] = [
  [7, 3],
  [30, 10],
  [31, 10],
  [150, 0],
];
const train: Matrix = { data: Float32Array.from(base.data), rows: base.rows, cols: D };
for (const [i, j] of COPIES) train.data.set(test.data.subarray(j * D, (j + 1) * D), i * D);
// The same data scaled and shifted (not unit length, large norms): cancellation is worse.
const shift = (m: Matrix): Matrix => ({ ...m, data: m.data.map((v, k) => 3 * v + ((k % D) % 7) * 0.5) });
const trainShifted = shift(train);
const testShifted = shift(test);

/** Euclidean distance in float64, directly. */
function exactEuclidean(a: Matrix, i: number, b: Matrix, j: number): number {
  let s = 0;
  for (let k = 0; k < D; k++) s += (a.data[i * D + k]! - b.data[j * D + k]!) ** 2;
  return Math.sqrt(s);
}

const engines: [string, () => Promise<GemmEngine>][] = [
  ["ts", async () => createTsGemm()],
  ["ort", () => createOrtGemm({ threads: 1 })],
];
const opened: GemmEngine[] = [];
afterAll(async () => {
  for (const g of opened) await g.dispose();
});

describe.each(engines)("Euclidean distances of identical rows (%s engine)", (_name, make) => {
  const gemm = async () => {
    const g = await make();
    opened.push(g);
    return g;
  };

  it.each([
    ["unit rows", train, test],
    ["shifted rows", trainShifted, testShifted],
  ])("euc-min/avg of a copy is exactly 0 / exact, others match float64 (%s)", async (_l, tr, te) => {
    const g = await gemm();
    const r = await trainTestAggregates(
      tr,
      te,
      { euclidean: ["min", "max", "avg"] },
      { gemm: g, blockRows: 64 },
    );
    const min = r.euclidean.min!;
    for (const [i] of COPIES) expect(min[i]).toBe(0);
    // Pairs that are not near keep the float32 expansion, whose error in the squared distance is about
    // 1e-7 of ‖x‖² + ‖t‖²: allow 1e-6 of that, i.e. |d − d*| ≤ 1e-6 · scale / (d + d*).
    const sqNorm = (m: Matrix, i: number) =>
      exactEuclidean(m, i, { ...m, data: new Float32Array(m.data.length) }, 0) ** 2;
    let maxTest = 0;
    for (let j = 0; j < te.rows; j++) maxTest = Math.max(maxTest, sqNorm(te, j));
    for (let i = 0; i < tr.rows; i++) {
      const scale = sqNorm(tr, i) + maxTest;
      let emin = Number.POSITIVE_INFINITY;
      let sum = 0;
      let avgTol = 0;
      for (let j = 0; j < te.rows; j++) {
        const e = exactEuclidean(tr, i, te, j);
        emin = Math.min(emin, e);
        sum += e;
        avgTol += e > 0 ? (1e-6 * scale) / e : 0;
      }
      if (emin > 0) expect(Math.abs(min[i]! - emin)).toBeLessThan((1e-6 * scale) / emin);
      expect(Math.abs(r.euclidean.avg![i]! - sum / te.rows)).toBeLessThan(avgTol / te.rows + 1e-12);
    }
  });

  it("euc-min ranking puts the copies first, tied at 0, in input order", async () => {
    const g = await gemm();
    for (const [tr, te] of [
      [train, test],
      [trainShifted, testShifted],
    ] as const) {
      const m = await computeMeasure(tr, te, "euc-min", { gemm: g });
      const zeros = [...m.values.keys()].filter((i) => m.values[i] === 0);
      expect(zeros).toEqual(COPIES.map(([i]) => i));
      const r = await arrangeEmbeddings(tr, te, singleTask(tr.rows), {
        strategy: "rank",
        measure: "euc-min",
        seed: 1,
        gemm: g,
      });
      expect(Array.from(r.order.subarray(0, 4))).toEqual(COPIES.map(([i]) => i));
      expect(Array.from(r.value!.subarray(0, 4))).toEqual([0, 0, 0, 0]);
      expect(r.value![4]).toBeGreaterThan(0);
    }
  });

  it("the analyze stream and its curves give exactly 0 for the copies", async () => {
    const g = await gemm();
    const seen = new Map<number, number>();
    await streamDistanceBlocks(train, test, { euclidean: true }, { gemm: g, blockRows: 50 }, (b) => {
      for (const [i, j] of COPIES) {
        if (i >= b.r0 && i < b.r0 + b.rows) seen.set(i, b.euclidean![(i - b.r0) * test.rows + j]!);
      }
    });
    expect([...seen.values()]).toEqual([0, 0, 0, 0]);
    // Test rows 0..19 task 0, 20..39 task 1: copies of test rows 3, 10, 0 are all in task 0.
    const taskOf = Int32Array.from({ length: test.rows }, (_, j) => (j < 20 ? 0 : 1));
    for (const [tr, te] of [
      [train, test],
      [trainShifted, testShifted],
    ] as const) {
      const p = await prefixDistances(tr, te, taskOf, 2, [7, 8, 200], 0, { gemm: g });
      const task0 = p.groups[0]!.eucMin;
      expect(task0[0]).toBeGreaterThan(0); // rows 0..6: no copy yet
      expect(task0[1]).toBe(0); // row 7 is a copy of test row 3
      expect(task0[2]).toBe(0);
      expect(p.groups[2]!.eucMin[1]).toBe(0); // all test rows
      expect(p.groups[1]!.eucMin[2]).toBeGreaterThan(0); // no copy of a task-1 row
    }
  });
});
