/**
 * Matrix-product throughput on 384-d shapes for both engines, and the streaming distance passes built
 * on them at several block sizes (how the default block size was chosen).
 *
 *   node dist/bench/gemm.js [--seconds 1]
 */
import { createGemm } from "../src/linalg/create-gemm.js";
import type { GemmEngine } from "../src/linalg/types.js";
import { defaultBlockRows } from "../src/similarity/block-rows.js";
import { cosineDistanceColumns } from "../src/similarity/distance-columns.js";
import { trainTestAggregates } from "../src/similarity/train-test-aggregates.js";
import { benchData, createNoise } from "./clustered.js";
import { isMain, numberArgs } from "./peak-rss.js";

const D = 384;

async function gflops(engine: GemmEngine, rowsA: number, rowsB: number, seconds: number): Promise<number> {
  const g = createNoise(rowsA * 31 + rowsB);
  const a = Float32Array.from({ length: rowsA * D }, g);
  const b = Float32Array.from({ length: rowsB * D }, g);
  const out = new Float32Array(rowsA * rowsB);
  await engine.multiplyNT(a, rowsA, b, rowsB, D, -1, out); // warm-up
  let reps = 0;
  const t0 = performance.now();
  do {
    await engine.multiplyNT(a, rowsA, b, rowsB, D, -1, out);
    reps++;
  } while (performance.now() - t0 < seconds * 1000);
  const s = (performance.now() - t0) / 1000 / reps;
  return (2 * rowsA * rowsB * D) / s / 1e9;
}

export async function benchGemm(argv: string[]): Promise<void> {
  const { seconds } = numberArgs(argv, { seconds: 1 });
  const ort = await createGemm({ engine: "ort" });
  const ts = await createGemm({ engine: "ts" });
  if (ort.fallbackReason) console.log(`gemm: ${ort.fallbackReason}`);
  const shapes: [number, number][] = [
    [1000, 2048],
    [2048, 1000],
    [1000, 8192],
    [8192, 1000],
    [1000, 65536],
  ];
  for (const [ra, rb] of shapes) {
    console.log(
      `gemm: ${ort.name} (${ort.threads} threads) ${ra} × ${rb} × ${D}: ${(await gflops(ort, ra, rb, seconds)).toFixed(1)} GFLOP/s`,
    );
  }
  for (const [ra, rb] of [
    [256, 256],
    [1000, 512],
  ] as [number, number][]) {
    console.log(
      `gemm: ts (1 thread) ${ra} × ${rb} × ${D}: ${(await gflops(ts, ra, rb, seconds)).toFixed(2)} GFLOP/s`,
    );
  }

  // Streaming passes over 100k × 1k: test-major matrix fill (TMA) and per-row aggregates (rank).
  const n = 100_000;
  const m = 1000;
  const { train, test } = benchData(n, m, D, { trainClusters: 500, testClusters: 20, seed: 3 });
  const trainM = { data: train, rows: n, cols: D };
  const testM = { data: test, rows: m, cols: D };
  const flop = 2 * n * m * D;
  console.log(`gemm: default block for ${m} test rows = ${defaultBlockRows(m)} training rows`);
  for (const blockRows of [512, 1024, 2048, 4096, 8192]) {
    let t0 = performance.now();
    await cosineDistanceColumns(trainM, testM, { gemm: ort, blockRows });
    const fill = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await trainTestAggregates(
      trainM,
      testM,
      { cosine: ["min", "avg"], nearest: true },
      { gemm: ort, blockRows },
    );
    const agg = (performance.now() - t0) / 1000;
    console.log(
      `gemm: ${n} × ${m} block ${blockRows}: distance matrix fill ${fill.toFixed(2)} s (${(flop / fill / 1e9).toFixed(0)} GFLOP/s effective), ` +
        `cos min+avg+nearest ${agg.toFixed(2)} s (${(flop / agg / 1e9).toFixed(0)} GFLOP/s effective)`,
    );
  }
  await ort.dispose();
  await ts.dispose();
}

if (isMain(import.meta.url)) {
  benchGemm(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
