// Re-arranges the arms of results/fig3-left-p3 and results/fig4-p3 with their recorded settings: the task
// split holding out ag_news and cosmos_qa, the ngram embedder, WSD rank (fig3-left) or TMA with rows in
// index order inside rounds (fig4), seeds 0-2 for RT. Run from the repository root after `npm run build`:
//   node results/predict-p3/prepare.mjs [DATA_DIR] [WORK_DIR]
import { splitByTask } from "../../dist/src/experiment/split.js";
import { arrange } from "../../dist/src/pipeline/arrange.js";

const data = process.argv[2] ?? "../shared/data/p3-t0-train";
const root = process.argv[3] ?? "/tmp/predict-p3";
const s = await splitByTask(data, ["ag_news", "cosmos_qa"], `${root}/split`);
const jobs = [];
for (const [exp, strategy, extra] of [
  ["fig3-left", "rank", { measure: "wsd" }],
  ["fig4", "tma", { withinRound: "index" }],
]) {
  jobs.push([exp, "nft", { strategy, order: "nearest-first", ...extra, seed: 0 }]);
  jobs.push([exp, "fft", { strategy, order: "farthest-first", ...extra, seed: 0 }]);
  for (const seed of [0, 1, 2]) jobs.push([exp, `rt-seed${seed}`, { strategy, order: "random", ...extra, seed }]);
}
for (const [exp, id, o] of jobs) {
  await arrange({
    train: s.train,
    test: s.test,
    embedder: "ngram",
    out: `${root}/${exp}/${id}.jsonl`,
    metadata: `${root}/${exp}/${id}.meta.jsonl`,
    ...o,
  });
  console.log(`${exp} ${id} arranged`);
}
