/**
 * Streaming exact TMA (no distance matrix) against one bare matrix product of the same shapes, measured
 * in the same run: the product is the onnxruntime Gemm of every test row against every training row,
 * block by block into one reused buffer (no normalization, no selection) — the floor any exact method
 * that reads every distance once has to pay. Optionally (--matrix 1) also the full-matrix engine on the
 * same data, with a check that both give the same order. Run it in its own process so VmHWM is this
 * run's peak.
 *
 *   node dist/bench/tma-stream.js [--n 100000] [--m 1000] [--d 384] [--matrix 0|1] [--cap 0] [--scenario 0|1]
 *     [--limit-gib 6] [--product 1]
 *
 * Targets (issue 13): 2M × 4k × 128 completes with peak RSS ≤ 4 GB and ≤ 5× the bare product.
 */
import { arrangeEmbeddings } from "../src/arrange/index.js";
import { streamPlan } from "../src/arrange/tma.js";
import { streamTma } from "../src/arrange/tma-stream.js";
import { createGemm } from "../src/linalg/create-gemm.js";
import type { GemmEngine } from "../src/linalg/types.js";
import { defaultBlockRows } from "../src/similarity/block-rows.js";
import { benchData } from "./clustered.js";
import { gib, isMain, numberArgs, peakRssBytes } from "./peak-rss.js";

const SCENARIOS = [
  { name: "clustered (20 held-out test tasks)", testSpread: 0.8 },
  { name: "near-duplicate test points (20 templated test tasks)", testSpread: 0.001 },
];

/** Seconds for test (m × d) × train (n × d)ᵀ, block by block, into one reused output buffer. */
export async function bareProduct(
  gemm: GemmEngine,
  train: Float32Array,
  n: number,
  test: Float32Array,
  m: number,
  d: number,
): Promise<number> {
  const block = defaultBlockRows(m);
  const out = new Float32Array(block * m);
  await gemm.multiplyNT(test, m, train, Math.min(n, block), d, -1, out.subarray(0, Math.min(n, block) * m));
  const t0 = performance.now();
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    await gemm.multiplyNT(
      test,
      m,
      train.subarray(r0 * d, (r0 + rows) * d),
      rows,
      d,
      -1,
      out.subarray(0, rows * m),
    );
  }
  return (performance.now() - t0) / 1000;
}

export async function benchTmaStream(argv: string[]): Promise<void> {
  const args = numberArgs(argv, {
    n: 100_000,
    m: 1000,
    d: 384,
    matrix: 0,
    cap: 0,
    scenario: 0,
    "limit-gib": 6,
    product: 1,
  });
  const { n, m, d, matrix, cap, scenario } = args;
  const sc = SCENARIOS[scenario]!;
  let t0 = performance.now();
  const { train, test } = benchData(n, m, d, {
    trainClusters: Math.max(500, Math.round(n / 500)),
    testClusters: 20,
    seed: 11,
    testSpread: sc.testSpread,
  });
  console.log(
    `tma-stream: ${sc.name}: generated ${n} × ${d} train, ${m} × ${d} test in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
      `(RSS peak so far ${gib(peakRssBytes())}; embeddings ${gib(4 * (n + m) * d)})`,
  );
  const gemm = await createGemm();
  const product = args.product === 1 ? await bareProduct(gemm, train, n, test, m, d) : Number.NaN;
  if (args.product === 1)
    console.log(
      `tma-stream: bare product ${m} × ${n} × ${d} (${((2 * n * m * d) / 1e9).toFixed(0)} GFLOP, engine ${gemm.name}, ` +
        `${gemm.threads} threads): ${product.toFixed(2)} s`,
    );
  const limit = args["limit-gib"] * 2 ** 30;
  const plan = streamPlan(n, m, d, limit);
  t0 = performance.now();
  const r = await streamTma(
    { data: train, rows: n, cols: d },
    { data: test, rows: m, cols: d },
    {
      gemm,
      storeBytes: plan.storeBytes,
      blockRows: plan.blockRows,
      ...(cap > 0 ? { initialCapacity: cap } : {}),
    },
  );
  const wall = (performance.now() - t0) / 1000;
  const s = r.run.stats;
  const peak = peakRssBytes();
  console.log(
    `tma-stream: streaming TMA ${wall.toFixed(2)} s (first pass ${s.firstPassSeconds.toFixed(2)} s, rounds ${s.roundsSeconds.toFixed(2)} s of which refills ${s.refillSeconds.toFixed(2)} s), ` +
      `${r.run.roundSizes.length} rounds, ${s.passes} refill passes (${s.refilled} lists, ${(s.refillProducts / (n * m)).toFixed(3)}× the product), ` +
      `largest list ${s.largestList}; peak RSS ${gib(peak)}`,
  );
  if (args.product === 1)
    console.log(`tma-stream: ratio to the bare product: ${(wall / product).toFixed(2)}×`);
  if (matrix === 1) {
    const trainM = { data: train, rows: n, cols: d };
    const testM = { data: test, rows: m, cols: d };
    const tasks = { taskOf: new Int32Array(n), names: ["all"] };
    t0 = performance.now();
    const mx = await arrangeEmbeddings(trainM, testM, tasks, {
      strategy: "tma",
      seed: 1,
      gemm,
      tmaEngine: "matrix",
      memoryLimitBytes: 2 ** 40,
    });
    const mxWall = (performance.now() - t0) / 1000;
    const same =
      mx.order.length === r.run.sequence.length && mx.order.every((v, k) => v === r.run.sequence[k]);
    console.log(
      `tma-stream: matrix engine ${mxWall.toFixed(2)} s (distances ${mx.timings.distances?.toFixed(2)} s, tma ${mx.timings.tma?.toFixed(2)} s); ` +
        `orders identical: ${same ? "yes" : "NO"}; stream/matrix time ${(wall / mxWall).toFixed(2)}×; peak RSS now ${gib(peakRssBytes())}`,
    );
    if (!same) process.exitCode = 1;
  }
  await gemm.dispose();
}

if (isMain(import.meta.url)) {
  benchTmaStream(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
