/**
 * All benchmarks, each in its own process (so timings and peak memory are its own):
 *
 *   node dist/bench/run.js [part ...]     parts: gemm, euclidean, tma, arrange-1m, e2e, analyze, embed-cache, diversity, embed, use-lite-threads, quantized, train (default: all)
 *
 * Arguments after `--` go to every part, e.g. `node dist/bench/run.js tma -- --n 20000`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const PARTS = [
  "gemm",
  "euclidean",
  "tma",
  "arrange-1m",
  "e2e",
  "analyze",
  "embed-cache",
  "diversity",
  "embed",
  "use-lite-threads",
  "quantized",
  "train",
] as const;

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const names = dash < 0 ? argv : argv.slice(0, dash);
const extra = dash < 0 ? [] : argv.slice(dash + 1);
const parts = names.length > 0 ? names : [...PARTS];
let failed = 0;
for (const part of parts) {
  if (!(PARTS as readonly string[]).includes(part)) {
    console.error(`unknown bench part "${part}"; expected one of: ${PARTS.join(", ")}`);
    process.exitCode = 2;
    break;
  }
  const file = fileURLToPath(new URL(`./${part}.js`, import.meta.url));
  if (!existsSync(file)) {
    console.log(`== ${part}: not built (${file} missing), skipped`);
    continue;
  }
  console.log(`== ${part}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--expose-gc", file, ...extra], { stdio: "inherit" });
  console.log(
    `== ${part}: ${r.status === 0 ? "done" : `FAILED (status ${r.status})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (r.status !== 0) failed++;
}
if (failed > 0) process.exitCode = 1;
