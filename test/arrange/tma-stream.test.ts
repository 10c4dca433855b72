import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import { streamTma } from "../../src/arrange/tma-stream.js";
import { ArrangeError } from "../../src/core/errors.js";
import type { Matrix, TaskIndex } from "../../src/core/types.js";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { halfMatrix, halfToFloat32 } from "../../src/linalg/half.js";
import type { GemmEngine } from "../../src/linalg/types.js";
import { cosineDistanceColumns } from "../../src/similarity/distance-columns.js";
import { randomHalf } from "../linalg/half-helpers.js";
import { prng, randomEmbeddings, referenceTma, singleTask } from "./helpers.js";

const ts = createTsGemm();

/** Embeddings with exact duplicate rows and rows that are not unit length (some zero). */
function withDuplicates(base: Matrix, seed: number): Matrix {
  const rand = prng(seed);
  const data = base.data.slice();
  const d = base.cols;
  for (let i = 0; i < base.rows; i++) {
    const r = rand();
    if (r < 0.3 && i > 0) {
      const src = Math.floor(rand() * i);
      data.copyWithin(i * d, src * d, src * d + d);
    } else if (r < 0.4) {
      for (let k = 0; k < d; k++) data[i * d + k]! *= 3;
    } else if (r < 0.42) {
      data.fill(0, i * d, i * d + d);
    }
  }
  return { data, rows: base.rows, cols: d };
}

function data(n: number, m: number, seed: number, kind: "quantized" | "clustered" | "dups") {
  if (kind === "quantized") {
    return {
      train: randomEmbeddings(n, seed, { quantized: true }),
      test: randomEmbeddings(m, seed + 1e5, { quantized: true }),
    };
  }
  const train = randomEmbeddings(n, seed, { d: 10, clusters: 4 });
  const test = randomEmbeddings(m, seed + 1e5, { d: 10, clusters: 2 });
  return kind === "dups"
    ? { train: withDuplicates(train, seed), test: withDuplicates(test, seed + 7) }
    : { train, test };
}

/** streamTma against the reference algorithm on the float32 matrix the matrix engine computes. */
async function checkStream(
  train: Matrix,
  test: Matrix,
  opts: { farthest: boolean; cap: number; stopAfter?: number; gemm?: GemmEngine; blockRows?: number },
): Promise<number> {
  const gemm = opts.gemm ?? ts;
  const n = train.rows;
  const { columns, nearestTest, nearestDistance } = await cosineDistanceColumns(train, test, { gemm });
  const cols = opts.farthest ? columns.map((c) => c.map((v) => -v)) : columns;
  const stopAfter = opts.stopAfter ?? n;
  const ref = referenceTma(columns, n, opts.farthest, stopAfter);
  const r = await streamTma(train, test, {
    gemm,
    similarity: opts.farthest,
    storeBytes: 1e9,
    initialCapacity: opts.cap,
    ...(opts.stopAfter === undefined ? {} : { stopAfter: opts.stopAfter }),
    ...(opts.blockRows === undefined ? {} : { blockRows: opts.blockRows }),
  });
  const flat = ref.rounds.flat();
  expect(Array.from(r.run.sequence)).toEqual(flat);
  expect(r.run.roundSizes).toEqual(ref.rounds.map((x) => x.length));
  expect(Array.from(r.run.round)).toEqual(ref.rounds.flatMap((x, k) => x.map(() => k + 1)));
  expect(Array.from(r.run.pickedBy)).toEqual(flat.map((i) => ref.pickedBy.get(i)));
  // Keys are the matrix's float32 values exactly (similarities for farthest).
  expect(Array.from(r.run.key, (v) => v + 0)).toEqual(flat.map((i) => cols[ref.pickedBy.get(i)!]![i]! + 0));
  expect(Array.from(r.nearestTest)).toEqual(Array.from(nearestTest));
  expect(Array.from(r.nearestDistance)).toEqual(Array.from(nearestDistance));
  return r.run.stats.passes;
}

describe("streamTma equals the reference algorithm", () => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 5],
    [6, 1],
    [20, 20],
    [97, 6],
    [300, 30],
    [1200, 9],
  ];
  for (const kind of ["quantized", "clustered", "dups"] as const) {
    for (const [n, m] of shapes) {
      it(`${kind} n=${n} m=${m}: tiny and larger lists, nearest and farthest, 4 seeds`, async () => {
        for (let seed = 1; seed <= 4; seed++) {
          const { train, test } = data(n, m, seed * 31 + n + m, kind);
          for (const farthest of [false, true]) {
            for (const cap of [1, 2, 7, 64]) {
              await checkStream(train, test, { farthest, cap, blockRows: 1 + ((seed * 13) % 50) });
            }
          }
        }
      });
    }
  }

  it("tiny lists force many refill passes and stay exact", async () => {
    let passes = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const n = 400 + seed * 53;
      const m = 2 + (seed % 11);
      const { train, test } = data(
        n,
        m,
        seed,
        seed % 3 === 0 ? "quantized" : seed % 3 === 1 ? "dups" : "clustered",
      );
      passes += await checkStream(train, test, { farthest: seed % 2 === 0, cap: 1 });
    }
    expect(passes).toBeGreaterThan(12 * 5);
  });

  it("stopAfter ends after the round that reaches it", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const { train, test } = data(500, 11, seed, seed % 2 === 0 ? "quantized" : "dups");
      await checkStream(train, test, { farthest: seed > 3, cap: 3, stopAfter: 17 * seed });
    }
  });

  it("with the onnxruntime engine (refill products over gathered rows give the same floats)", async () => {
    const ort = await createOrtGemm({ threads: 2 });
    try {
      for (const [n, m, kind] of [
        [3000, 12, "clustered"],
        [2000, 40, "dups"],
        [1500, 7, "quantized"],
      ] as const) {
        const { train, test } = data(n, m, n + m, kind);
        for (const cap of [1, 5, 100]) {
          const passes = await checkStream(train, test, { farthest: false, cap, gemm: ort });
          if (cap === 1) expect(passes).toBeGreaterThan(1);
          await checkStream(train, test, { farthest: true, cap, gemm: ort });
        }
      }
    } finally {
      await ort.dispose();
    }
  });
});

describe("arrangeEmbeddings: stream and matrix engines give identical results", () => {
  const tasksOf = (n: number, k: number): TaskIndex => ({
    taskOf: Int32Array.from({ length: n }, (_, i) => (i * 7) % k),
    names: Array.from({ length: k }, (_, t) => `t${t}`),
  });
  const cases = [
    { granularity: "instance" as const, pick: "nearest" as const },
    { granularity: "instance" as const, pick: "farthest" as const },
    { granularity: "task" as const, pick: "nearest" as const },
    { granularity: "task" as const, pick: "farthest" as const },
  ];
  for (const c of cases) {
    it(`${c.granularity} ${c.pick}, with and without budgets`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        const n = 700;
        const { train, test } = data(n, 13, seed + 40, seed === 2 ? "quantized" : "dups");
        const tasks = c.granularity === "task" ? tasksOf(n, 37) : singleTask(n);
        const budgets: ({ budget: number; select: "min" | "max" | "min+max" } | undefined)[] = [
          undefined,
          { budget: 50, select: "min" },
          { budget: 123, select: "max" },
          { budget: 80, select: "min+max" },
        ];
        for (const b of budgets) {
          const run = (engine: "stream" | "matrix") =>
            arrangeEmbeddings(train, test, tasks, {
              strategy: "tma",
              seed: 3,
              gemm: ts,
              granularity: c.granularity,
              pick: c.pick,
              tmaEngine: engine,
              tmaInitialCapacity: 2,
              ...(b ?? {}),
            });
          const s = await run("stream");
          const mx = await run("matrix");
          expect(Array.from(s.order)).toEqual(Array.from(mx.order));
          expect(Array.from(s.round!)).toEqual(Array.from(mx.round!));
          expect(Array.from(s.pickedBy!)).toEqual(Array.from(mx.pickedBy!));
          expect(Array.from(s.value!, (v) => v + 0)).toEqual(Array.from(mx.value!, (v) => v + 0));
          expect(s.roundSizes).toEqual(mx.roundSizes);
          expect(Array.from(s.nearestTest)).toEqual(Array.from(mx.nearestTest));
          expect(Array.from(s.nearestDistance)).toEqual(Array.from(mx.nearestDistance));
        }
      }
    });
  }

  it("runs where the distance matrix is over --memory-limit (the matrix engine refuses)", async () => {
    const { train, test } = data(2000, 50, 9, "clustered");
    const limit = 64 * 1024; // the matrix needs 400 KB
    const opts = { strategy: "tma" as const, seed: 1, gemm: ts, memoryLimitBytes: limit };
    await expect(
      arrangeEmbeddings(train, test, singleTask(2000), { ...opts, tmaEngine: "matrix" }),
    ).rejects.toThrow(/--memory-limit|memory limit/);
    const s = await arrangeEmbeddings(train, test, singleTask(2000), opts);
    const full = await arrangeEmbeddings(train, test, singleTask(2000), {
      ...opts,
      memoryLimitBytes: 2 ** 30,
    });
    expect(Array.from(s.order)).toEqual(Array.from(full.order));
    expect(s.roundSizes).toEqual(full.roundSizes);
  });

  it("a --memory-limit too small for one block is a usage error naming the option", async () => {
    const { train, test } = data(500, 40, 3, "clustered");
    let caught: unknown;
    try {
      await arrangeEmbeddings(train, test, singleTask(500), {
        strategy: "tma",
        seed: 1,
        gemm: ts,
        memoryLimitBytes: 4096,
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ArrangeError);
    expect((caught as ArrangeError).message).toMatch(/--memory-limit/);
    expect((caught as ArrangeError).option).toBe("--memory-limit");
    expect((caught as ArrangeError).fix).toMatch(/raise --memory-limit/);
  });
});

// float16 embeddings: the same engine reads them in place.
const gemm = ts;
const never = () => {
  throw new Error("the float16 matrix was converted to float32 whole");
};

describe("streaming TMA on float16 embeddings kept as float16", () => {
  it.each([
    [300, 20, 8, false, 4],
    [300, 20, 8, true, 4],
    [500, 37, 16, false, 1],
    [120, 9, 5, false, 64],
  ])(
    "n=%i m=%i d=%i farthest=%s list size %i: identical to the converted float32 run, never converted whole",
    async (n, m, d, farthest, cap) => {
      const tb = randomHalf(n, d, n + m);
      const qb = randomHalf(m, d, 7 * m);
      const opts = { gemm, similarity: farthest, storeBytes: 1e8, initialCapacity: cap, blockRows: 37 };
      const half = await streamTma(
        halfMatrix(tb, n, d, never),
        { data: halfToFloat32(qb), rows: m, cols: d },
        opts,
      );
      const full = await streamTma(
        { data: halfToFloat32(tb), rows: n, cols: d },
        { data: halfToFloat32(qb), rows: m, cols: d },
        opts,
      );
      expect(Array.from(half.run.sequence)).toEqual(Array.from(full.run.sequence));
      expect(half.run.roundSizes).toEqual(full.run.roundSizes);
      expect(Array.from(half.run.pickedBy)).toEqual(Array.from(full.run.pickedBy));
      expect(Array.from(half.run.key)).toEqual(Array.from(full.run.key));
      expect(Array.from(half.nearestTest)).toEqual(Array.from(full.nearestTest));
      expect(Array.from(half.nearestDistance)).toEqual(Array.from(full.nearestDistance));
      if (cap <= 4) expect(half.run.stats.passes).toBeGreaterThan(0);
    },
  );

  it("arrangeEmbeddings with the streaming engine validates, arranges and selects without converting", async () => {
    const n = 200;
    const d = 6;
    const tb = randomHalf(n, d, 11);
    const qb = randomHalf(15, d, 12);
    const test = { data: halfToFloat32(qb), rows: 15, cols: d };
    const opts = { strategy: "tma" as const, tmaEngine: "stream" as const, gemm, seed: 1 };
    const a = await arrangeEmbeddings(halfMatrix(tb, n, d, never), test, singleTask(n), opts);
    const b = await arrangeEmbeddings(
      { data: halfToFloat32(tb), rows: n, cols: d },
      test,
      singleTask(n),
      opts,
    );
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect(Array.from(a.round!)).toEqual(Array.from(b.round!));
    expect(Array.from(a.nearestDistance!)).toEqual(Array.from(b.nearestDistance!));
  });
});
