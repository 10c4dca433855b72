/** Child process of bench/e2e.ts: one `arrange` run, then its wall time and peak RSS as a JSON line. */
import { readFileSync } from "node:fs";
import { readNpy } from "../src/data/npy.js";
import { createGemm } from "../src/linalg/create-gemm.js";
import { arrange } from "../src/pipeline/arrange.js";
import { bareProduct } from "./tma-stream.js";

function peakMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const [train, test, trainEmbeddings, testEmbeddings, out] = process.argv.slice(2);
if (train === "--product") {
  // The baseline: one bare matrix product of the same shapes (see bareProduct), in its own process.
  const tr = await readNpy(trainEmbeddings!);
  const te = await readNpy(testEmbeddings!);
  const gemm = await createGemm();
  const seconds = await bareProduct(gemm, tr.data, tr.rows, te.data, te.rows, tr.cols);
  await gemm.dispose();
  console.log(JSON.stringify({ seconds, peakMiB: peakMiB(), rows: 0 }));
  process.exit(0);
}
const t0 = performance.now();
const run = await arrange({
  train: train!,
  test: test!,
  trainEmbeddings,
  testEmbeddings,
  out,
  metadata: `${out}.meta.jsonl`,
  onProgress: (e) => {
    if (e.message) process.stderr.write(`${e.message}\n`);
  },
});
const seconds = (performance.now() - t0) / 1000;
process.stderr.write(`e2e child timings: ${JSON.stringify(run.manifest.timings)}\n`);
console.log(JSON.stringify({ seconds, peakMiB: peakMiB(), rows: run.order.length }));
