import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import type { GemmEngine } from "../../src/linalg/types.js";
import { cosineDistanceColumns } from "../../src/similarity/distance-columns.js";
import { exactCosineColumns, randomEmbeddings, referenceTma, singleTask } from "./helpers.js";

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
