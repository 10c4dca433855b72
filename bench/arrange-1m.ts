/**
 * End to end from in-memory embeddings: arrangeEmbeddings with TMA (distances + rounds) on 1M training
 * × 1k test × 384-d clustered unit vectors. Run it in its own process so VmHWM is this run's peak.
 *
 *   node dist/bench/arrange-1m.js [--n 1000000] [--m 1000] [--d 384]
 *
 * Targets: < 60 s wall, peak RSS < 8 GB.
 */
import { arrangeEmbeddings } from "../src/arrange/index.js";
import { benchData } from "./clustered.js";
import { gib, isMain, numberArgs, peakRssBytes } from "./peak-rss.js";

export async function benchArrange1m(argv: string[]): Promise<void> {
  const { n, m, d } = numberArgs(argv, { n: 1_000_000, m: 1000, d: 384 });
  let t0 = performance.now();
  const { train, test } = benchData(n, m, d, { trainClusters: 2000, testClusters: 20, seed: 5 });
  console.log(
    `arrange-1m: generated ${n} × ${d} train and ${m} × ${d} test clustered unit vectors in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s (peak RSS so far ${gib(peakRssBytes())})`,
  );
  let lastRound = 0;
  t0 = performance.now();
  const r = await arrangeEmbeddings(
    { data: train, rows: n, cols: d },
    { data: test, rows: m, cols: d },
    { taskOf: new Int32Array(n), names: ["all"] },
    {
      strategy: "tma",
      seed: 1,
      onProgress: (e) => {
        if (e.stage === "tma") lastRound = e.done;
      },
    },
  );
  const wall = (performance.now() - t0) / 1000;
  const peak = peakRssBytes();
  const stages = Object.entries(r.timings)
    .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
    .join(", ");
  console.log(
    `arrange-1m: stages: ${stages}; ${r.roundSizes?.length} rounds (last progress event: row ${lastRound})`,
  );
  if (r.warnings) console.log(`arrange-1m: warnings: ${r.warnings.join("; ")}`);
  console.log(
    `arrange-1m: TMA ${n} × ${m} × ${d} end to end from embeddings: ${wall.toFixed(1)} s (target < 60 s), ` +
      `peak RSS ${gib(peak)} (target < 8 GB = 7.45 GiB) -> ${wall < 60 && peak < 8e9 ? "MET" : "NOT MET"}`,
  );
}

if (isMain(import.meta.url)) {
  benchArrange1m(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
