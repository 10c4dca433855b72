import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import { streamPlan } from "../../src/arrange/tma.js";
import type { ProgressEvent } from "../../src/core/progress.js";
import type { TaskIndex } from "../../src/core/types.js";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import type { GemmEngine } from "../../src/linalg/types.js";
import { cosineDistanceColumns } from "../../src/similarity/distance-columns.js";
import { close, gemm, one, run, test, train } from "./hand-example-helpers.js";
import {
  exactCosineColumns,
  failure,
  arrangeSmall as go,
  matrix,
  randomEmbeddings,
  referenceTma,
  singleTask,
} from "./helpers.js";

// Algorithm 1 (tmaSequence in src/arrange/tma.ts), through arrangeEmbeddings: the 2-D example by hand,
// the reference algorithm, progress, and the memory plan of the engines.
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

const ts = createTsGemm();

async function compare(
  n: number,
  m: number,
  seed: number,
  opts: { quantized: boolean; farthest?: boolean; gemm?: GemmEngine; blockRows?: number },
): Promise<void> {
  const train = randomEmbeddings(n, seed, opts.quantized ? { quantized: true } : { d: 12, clusters: 5 });
  const test = randomEmbeddings(
    m,
    seed + 100_000,
    opts.quantized ? { quantized: true } : { d: 12, clusters: 3 },
  );
  const gemm = opts.gemm ?? ts;
  // Quantized embeddings have exact distances; otherwise the reference reads our float32 matrix.
  const cols = opts.quantized
    ? exactCosineColumns(train, test)
    : (await cosineDistanceColumns(train, test, { gemm })).columns;
  const ref = referenceTma(cols, n, opts.farthest);
  // The reference is the authors' algorithm: rows of a round in training-index order.
  const r = await arrangeEmbeddings(train, test, singleTask(n), {
    strategy: "tma",
    withinRound: "index",
    seed: 1,
    gemm,
    ...(opts.farthest ? { pick: "farthest" as const } : {}),
    ...(opts.blockRows ? { blockRows: opts.blockRows } : {}),
  });
  const flat = ref.rounds.flat();
  expect(Array.from(r.order)).toEqual(flat);
  expect(r.roundSizes).toEqual(ref.rounds.map((x) => x.length));
  expect(Array.from(r.pickedBy!)).toEqual(flat.map((i) => ref.pickedBy.get(i)));
  for (let k = 0; k < n; k++) expect(r.value![k]).toBeCloseTo(ref.value.get(flat[k]!)!, 6);
}

describe("arrangeEmbeddings tma equals the reference algorithm", () => {
  const shapes: [number, number][] = [
    [1, 1],
    [3, 10],
    [10, 40],
    [50, 5],
    [300, 8],
    [1000, 30],
    [2500, 4],
  ];
  for (const [n, m] of shapes) {
    it(`quantized (many exact ties) n=${n} m=${m}, nearest and farthest, 5 seeds`, async () => {
      for (let seed = 1; seed <= 5; seed++) {
        await compare(n, m, seed * 7 + n, { quantized: true });
        await compare(n, m, seed * 7 + n, { quantized: true, farthest: true });
      }
    });
    it(`clustered continuous n=${n} m=${m}, 5 seeds`, async () => {
      for (let seed = 1; seed <= 5; seed++)
        await compare(n, m, seed * 13 + m, { quantized: false, blockRows: 37 });
    });
  }

  it("with the onnxruntime engine too", async () => {
    const ort = await createOrtGemm({ threads: 1 });
    try {
      for (const [n, m] of [
        [200, 7],
        [40, 90],
        [3000, 12],
      ] as const) {
        await compare(n, m, n + m, { quantized: true, gemm: ort });
        await compare(n, m, n + m, { quantized: false, gemm: ort });
      }
    } finally {
      await ort.dispose();
    }
  });
});

describe("progress and timings", () => {
  it("tma reports distance rows and rounds", async () => {
    const train = randomEmbeddings(5000, 9, { d: 8 });
    const test = randomEmbeddings(20, 10, { d: 8 });
    const events: ProgressEvent[] = [];
    const r = await arrangeEmbeddings(
      train,
      test,
      { taskOf: new Int32Array(5000), names: ["x"] },
      {
        strategy: "tma",
        seed: 1,
        gemm,
        blockRows: 1000,
        onProgress: (e) => events.push(e),
      },
    );
    const dist = events.filter((e) => e.stage === "distances");
    expect(dist.map((e) => e.done)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(dist.every((e) => e.total === 5000 && e.unit === "rows")).toBe(true);
    const tma = events.filter((e) => e.stage === "tma");
    expect(tma.length).toBeGreaterThan(0);
    expect(tma.at(-1)!.done).toBe(5000);
    expect(tma.at(-1)!.total).toBe(5000);
    expect(tma.at(-1)!.unit).toBe("training rows");
    expect(tma.at(-1)!.message).toBe(`tma: ${r.roundSizes!.length} rounds placed 5000 training rows`);
    expect(Object.keys(r.timings)).toEqual(expect.arrayContaining(["distances", "tma", "total"]));
  });
});

describe("memory limits", () => {
  it("a memory limit too small for one block of TMA distances names --memory-limit and the fix", async () => {
    const e = await failure(go({ memoryLimitBytes: 100 }));
    expect(e.code).toBe("usage");
    expect(e.option).toBe("--memory-limit");
    expect(e.message).toContain("20 rows × 3 test rows");
    expect(e.fix).toContain("raise --memory-limit");
  });
  it("the matrix engine over the memory limit says how to get under it", async () => {
    const e = await failure(go({ memoryLimitBytes: 100, tmaEngine: "matrix" }));
    expect(e.code).toBe("usage");
    expect(e.message).toContain("20 training rows × 3 test rows");
    expect(e.fix).toContain("streaming engine");
    // Candidate lists for a budget are checked against the limit too.
    const e2 = await failure(go({ budget: 5, select: "min", memoryLimitBytes: 100, tmaEngine: "matrix" }));
    expect(e2.message).toContain("5 nearest");
  });
});

describe("streamPlan", () => {
  it("streamPlan splits the limit into one block and the store", () => {
    const p = streamPlan(1_000_000, 1000, 384, 6 * 2 ** 30);
    expect(p.blockRows).toBe(2097);
    expect(p.blockBytes + p.storeBytes).toBe(6 * 2 ** 30);
    const tight = streamPlan(1_000_000, 1000, 384, 2 ** 20);
    expect(tight.blockRows).toBe(Math.floor(2 ** 19 / (4 * (1000 + 384))));
    expect(tight.storeBytes).toBeGreaterThan(0);
  });
});
