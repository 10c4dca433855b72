/**
 * diversity bench: read the P3/T0 training sample (~55k rows), embed it with `ngram`, compute every diversity
 * measure (k-means clusters and their entropy, mean pairwise cosine distance, Vendi score; overall and per task),
 * then select M = 5,000 rows by k-center greedy (`arrange --select diverse`). Baseline in the same run: the
 * plain farthest-point loop (every row updated with every selection by scalar dot products), timed on its first
 * 50 selections and extrapolated to M (its cost per selection is constant: n·d).
 *
 *   node dist/bench/diversity.js [--data ../shared/data/p3-t0-train] [--m 5000]
 *
 * Target (issue: diversity): metrics and k-center on the 55k rows in < 60 s with ngram embeddings.
 */
import { existsSync } from "node:fs";
import { nearestToCentroid } from "../src/arrange/diverse.js";
import { readDataset } from "../src/data/read.js";
import { computeDiversity } from "../src/diversity/compute.js";
import { greedySelect } from "../src/diversity/greedy.js";
import { createGemm } from "../src/linalg/index.js";
import { normalizeRows } from "../src/linalg/normalize-rows.js";
import { embedSet } from "../src/pipeline/embed-sets.js";
import { gib, isMain, peakRssBytes } from "./peak-rss.js";

const TARGET_S = 60;

function parseArgs(argv: string[]): { data: string; m: number } {
  const a = { data: "../shared/data/p3-t0-train", m: 5000 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1] ?? "";
    if (k === "--data") a.data = v;
    else if (k === "--m") a.m = Number(v);
    else throw new Error(`unknown argument ${k}; expected --data, --m`);
  }
  return a;
}

/** The plain farthest-point traversal: after each selection every row's nearest-selection similarity is updated. */
function naiveKCenter(x: Float32Array, n: number, d: number, start: number, steps: number): number[] {
  const red = new Float64Array(n).fill(-1);
  const taken = new Uint8Array(n);
  const out = [start];
  let c = start;
  for (let s = 1; s < steps; s++) {
    taken[c] = 1;
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x[i * d + k]! * x[c * d + k]!;
      if (dot > red[i]!) red[i] = dot;
      if (!taken[i] && -red[i]! > bestScore) {
        bestScore = -red[i]!;
        best = i;
      }
    }
    out.push(best);
    c = best;
  }
  return out;
}

export async function benchDiversity(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  if (!existsSync(a.data)) {
    console.log(`diversity: ${a.data} not found, skipped`);
    return;
  }
  const t0 = performance.now();
  const ds = await readDataset(a.data, { texts: true });
  const tRead = performance.now();
  const emb = await embedSet(ds, { embedder: "ngram" });
  const tEmbed = performance.now();
  const gemm = await createGemm();
  try {
    const m = emb.matrix;
    const div = await computeDiversity(m, ds.tasks, { gemm, seed: 0 });
    const tMetrics = performance.now();
    const x = normalizeRows(m.data, m.rows, m.cols);
    const start = nearestToCentroid(x, m.rows, m.cols);
    const sel = await greedySelect({ x, n: m.rows, d: m.cols, budget: a.m, weight: 1, start, gemm });
    const tSelect = performance.now();
    const total = (tSelect - t0) / 1000;
    const o = div.overall;
    console.log(
      `diversity: ${m.rows} rows x ${m.cols}-d (${emb.embedder.id}), ${ds.tasks.names.length} tasks; ` +
        `k-means k=${o.clusters.k} (${o.clusters.iterations} iterations), normalized entropy ${o.clusters.normalizedEntropy.toFixed(3)}, ` +
        `mean pairwise cosine distance ${o.meanPairwiseCosineDistance?.toFixed(4)}, Vendi ${o.vendi.toFixed(1)}`,
    );
    const stages = Object.entries(div.timings)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(", ");
    console.log(
      `diversity: read ${((tRead - t0) / 1000).toFixed(2)} s, embed ${((tEmbed - tRead) / 1000).toFixed(2)} s, ` +
        `metrics ${((tMetrics - tEmbed) / 1000).toFixed(2)} s (${stages}), k-center M=${a.m} ${((tSelect - tMetrics) / 1000).toFixed(2)} s ` +
        `(radius ${sel.coverRadius?.toFixed(4)}, ${(sel.work.productPairs / 1e6).toFixed(0)}M row x selection pairs by matrix products, ` +
        `${(sel.work.scalarPairs / 1e6).toFixed(2)}M by scalar dots)`,
    );
    console.log(
      `diversity: ${total.toFixed(2)} s end to end, ${(total / TARGET_S).toFixed(2)} of the ${TARGET_S} s target ` +
        `(${total < TARGET_S ? "met" : "MISSED"}); peak RSS ${gib(peakRssBytes())}`,
    );
    const steps = 50;
    const tb = performance.now();
    const naive = naiveKCenter(x, m.rows, m.cols, start, steps);
    const perStep = (performance.now() - tb) / 1000 / (steps - 1);
    const same = naive.every((r, i) => r === sel.rows[i]);
    const projected = perStep * (a.m - 1);
    const ours = (tSelect - tMetrics) / 1000;
    console.log(
      `diversity: baseline plain farthest-point loop ${(perStep * 1000).toFixed(1)} ms/selection -> ${projected.toFixed(1)} s for M=${a.m} ` +
        `(projected from ${steps}); k-center here ${(projected / ours).toFixed(1)}x faster; first ${steps} selections ${same ? "identical" : "DIFFER"}`,
    );
  } finally {
    await gemm.dispose();
  }
}

if (isMain(import.meta.url)) {
  benchDiversity(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
