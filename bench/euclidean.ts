/**
 * Cost of exact near-pair Euclidean distances: `trainTestAggregates` euc min+avg (the expansion
 * ‖x‖² + ‖t‖² − 2x·t with near pairs recomputed directly) against a baseline measured in the same run that
 * only uses the expansion (the former code). Four data sets: clustered 384-d rows (few near pairs), the
 * same with a share of training rows that are copies of test rows (each copy recomputes its pairs with
 * every test row of its cluster), near duplicates (cosine ~0.99, not recomputed), and a worst case where
 * every pair is near and recomputed.
 *
 *   node dist/bench/euclidean.js [--n 50000] [--m 1000] [--copies 0.1] [--tightN 5000]
 */
import type { Matrix } from "../src/core/types.js";
import { createGemm } from "../src/linalg/create-gemm.js";
import { squaredNorms } from "../src/linalg/squared-norms.js";
import type { GemmEngine } from "../src/linalg/types.js";
import { defaultBlockRows } from "../src/similarity/block-rows.js";
import { trainTestAggregates } from "../src/similarity/train-test-aggregates.js";
import { benchData } from "./clustered.js";
import { isMain, numberArgs } from "./peak-rss.js";

const D = 384;

/** The former kernel: euc min and avg from the expansion alone (clamped at 0). */
async function expansionOnly(train: Matrix, test: Matrix, gemm: GemmEngine): Promise<Float64Array> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  const block = Math.min(n, defaultBlockRows(m));
  const out = new Float32Array(block * m);
  const testSq = squaredNorms(test.data, m, d);
  const trainSq = new Float64Array(block);
  const min = new Float64Array(n);
  const avg = new Float64Array(n);
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    const o = out.subarray(0, rows * m);
    const raw = train.data.subarray(r0 * d, (r0 + rows) * d);
    squaredNorms(raw, rows, d, trainSq);
    await gemm.multiplyNT(raw, rows, test.data, m, d, -2, o);
    for (let r = 0; r < rows; r++) {
      let lo = Number.POSITIVE_INFINITY;
      let sum = 0;
      for (let j = 0; j < m; j++) {
        let sq = trainSq[r]! + testSq[j]! + o[r * m + j]!;
        if (sq < 0) sq = 0;
        if (sq < lo) lo = sq;
        sum += Math.sqrt(sq);
      }
      min[r0 + r] = Math.sqrt(lo);
      avg[r0 + r] = sum / m;
    }
  }
  return min;
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [(performance.now() - t0) / 1000, v];
}

export async function benchEuclidean(argv: string[]): Promise<void> {
  const { n, m, copies, tightN } = numberArgs(argv, { n: 50_000, m: 1000, copies: 0.1, tightN: 5000 });
  const gemm = await createGemm();
  if (gemm.fallbackReason) console.log(`euclidean: ${gemm.fallbackReason}`);
  const { train, test } = benchData(n, m, D, { trainClusters: 500, testClusters: 20, seed: 5 });
  const withCopies = Float32Array.from(train);
  const k = Math.floor(n * copies);
  for (let c = 0; c < k; c++) {
    const i = Math.floor((c * n) / k);
    const j = c % m;
    withCopies.set(test.subarray(j * D, (j + 1) * D), i * D);
  }
  // Near duplicates that are not identical: every training row is a test row plus noise (cosine ~0.99 to
  // it), on the full-size data: no pair is below the recompute ratio. Worst case: every training row a copy of
  // the first test row and every test row within 1e-4 of it, so every pair is recomputed (`tightN` rows, or
  // it runs for minutes).
  const nearDup = Float32Array.from(train, (_, i) => test[i % test.length]! + 0.008 * Math.sin(i * 0.7));
  const worstTest = Float32Array.from(test, (v, i) => (i < D ? v : test[i % D]! + 1e-4 * Math.sin(i)));
  const worstTrain = Float32Array.from({ length: tightN * D }, (_, i) => worstTest[i % D]!);
  for (const [label, data, rows, te] of [
    ["clustered", train, n, test],
    [`${(copies * 100).toFixed(0)}% copies of test rows`, withCopies, n, test],
    ["near duplicates of test rows (cosine ~0.99)", nearDup, n, test],
    ["worst case: every pair within 1e-4 (recomputed)", worstTrain, tightN, worstTest],
  ] as const) {
    const trainM = { data, rows, cols: D };
    const testM = { data: te, rows: m, cols: D };
    await expansionOnly(trainM, testM, gemm); // warm-up
    const [base, oldMin] = await timed(() => expansionOnly(trainM, testM, gemm));
    const [ours, agg] = await timed(() =>
      trainTestAggregates(trainM, testM, { euclidean: ["min", "avg"] }, { gemm }),
    );
    let zeros = 0;
    let oldZeros = 0;
    for (let i = 0; i < rows; i++) {
      if (agg.euclidean.min![i] === 0) zeros++;
      if (oldMin[i] === 0) oldZeros++;
    }
    console.log(
      `euclidean: ${rows} × ${m} × ${D}, ${label}: exact near pairs ${ours.toFixed(2)} s, expansion only ${base.toFixed(2)} s ` +
        `(ratio ${(ours / base).toFixed(2)}); rows at distance exactly 0: ${zeros} (expansion only: ${oldZeros})`,
    );
  }
  await gemm.dispose();
}

if (isMain(import.meta.url)) {
  benchEuclidean(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
