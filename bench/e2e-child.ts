/** Child process of bench/e2e.ts: one `arrange` run, then its wall time and peak RSS as a JSON line. */
import { readFileSync } from "node:fs";
import { arrange } from "../src/pipeline/arrange.js";

function peakMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const [train, test, trainEmbeddings, testEmbeddings, out] = process.argv.slice(2);
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
