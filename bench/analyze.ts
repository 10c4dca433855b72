/**
 * analyze bench: the whole `analyze` run (read, ngram embeddings, all nine checkpoint curves overall and per
 * test task, coverage, WSD, projection, JSON) on the P3/T0 training sample in its file order (~55k rows)
 * against a 1,000-row test set: the first 50 rows of each ag_news_* and cosmos_qa_* file (20 test tasks).
 *
 *   node dist/bench/analyze.js [--data ../shared/data/p3-t0-train] [--dir bench/out/analyze]
 *
 * Target (issue: analyze): < 30 s on the 2-core development machine. Skipped when the data is absent.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { analyze } from "../src/pipeline/analyze.js";
import { gib, isMain, peakRssBytes } from "./peak-rss.js";

const TARGET_S = 30;

function parseArgs(argv: string[]): { data: string; dir: string } {
  const a = { data: "../shared/data/p3-t0-train", dir: "bench/out/analyze" };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1] ?? "";
    if (k === "--data") a.data = v;
    else if (k === "--dir") a.dir = v;
    else throw new Error(`unknown argument ${k}; expected --data, --dir`);
  }
  return a;
}

/** 1,000 test rows: the first 50 of each of the 20 ag_news_* and cosmos_qa_* files, one file per task. */
async function testSet(data: string, dir: string): Promise<string> {
  const out = join(dir, "test");
  await mkdir(out, { recursive: true });
  const files = (await readdir(data)).filter((f) => /^(ag_news|cosmos_qa)_.*\.jsonl$/.test(f)).sort();
  const per = Math.ceil(1000 / files.length);
  let left = 1000;
  for (const f of files) {
    const lines = (await readFile(join(data, f), "utf8")).split("\n").filter((l) => l.trim() !== "");
    const take = lines.slice(0, Math.min(per, left));
    left -= take.length;
    await writeFile(join(out, f), take.map((l) => `${l}\n`).join(""));
  }
  return out;
}

export async function benchAnalyze(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  if (!existsSync(a.data)) {
    console.log(`analyze: ${a.data} not found, skipped`);
    return;
  }
  const test = await testSet(a.data, a.dir);
  const t0 = performance.now();
  const result = await analyze({
    train: a.data,
    test,
    out: join(a.dir, "analysis.json"),
    embedder: "ngram",
  });
  const s = (performance.now() - t0) / 1000;
  const stages = Object.entries(result.timings)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
  console.log(
    `analyze: ${result.inputs.train.rows} train x ${result.inputs.test.rows} test rows ` +
      `(${result.inputs.test.tasks.length} test tasks, ${result.checkpoints.examples.length} checkpoints, 9 measures), ` +
      `embedder ${result.embedder.id} ${result.embedder.dims}-d`,
  );
  console.log(`analyze: stages (s): ${stages}`);
  console.log(
    `analyze: ${s.toFixed(2)} s end to end, ${(s / TARGET_S).toFixed(2)} of the ${TARGET_S} s target ` +
      `(${s < TARGET_S ? "met" : "MISSED"}); peak RSS ${gib(peakRssBytes())}`,
  );
}

if (isMain(import.meta.url)) {
  benchAnalyze(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
