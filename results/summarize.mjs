// Summary of an experiment's output directory (the --out-dir of `experiment`):
//   node results/summarize.mjs OUT_DIR > results/<figure>-p3/summary.txt
// Per arm: area and final loss (mean ± std); per seed: the arms by area; the verdict's comparisons; per
// run: the test-loss curve. For a Cluster arm (Fig. 2) also the training tasks in the order trained
// within the run's steps, and the largest drops and rises of a held-out task's loss between evaluations.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const exp = JSON.parse(readFileSync(join(dir, "experiment.json"), "utf8"));
const f = (x) => x.toFixed(3);
const lines = [];
for (const s of exp.summary)
  lines.push(`${s.label.padEnd(12)} area ${f(s.area.mean)} ± ${f(s.area.std)}  final ${f(s.finalLoss.mean)} ± ${f(s.finalLoss.std)}  (n=${s.runs})`);
lines.push("");
for (const seed of exp.seeds) {
  const bySeed = exp.runs.filter((r) => r.seed === seed).sort((a, b) => a.area - b.area);
  lines.push(`seed ${seed}: areas ascending: ${bySeed.map((r) => `${r.arm} ${f(r.area)}`).join(" < ")}`);
}
lines.push("");
for (const c of exp.verdict?.comparisons ?? [])
  lines.push(`verdict (${c.metric}): ${c.statement}: on the means ${c.holdsOnMeans ? "holds" : "does not hold"}; holds on ${c.seedsHolding} of ${c.seeds} seeds`);
lines.push("");
for (const r of exp.runs) {
  const curves = JSON.parse(readFileSync(join(r.runDir, "curves.json"), "utf8"));
  const pts = curves.points;
  lines.push(`${r.arm} seed ${r.seed}: area ${f(r.area)} final ${f(r.finalLoss)} curve ${pts.map((p) => p.test.loss.toFixed(2)).join(" ")}`);
  if (r.arm !== "Cluster") continue;
  const meta = readFileSync(r.arranged.replace(/\.jsonl$/, ".meta.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const seen = meta.slice(0, curves.steps * curves.batchSize);
  const blocks = [];
  for (let i = 0; i < seen.length; i++) {
    const t = seen[i].task;
    if (blocks.length === 0 || blocks[blocks.length - 1].task !== t) blocks.push({ task: t, from: i, to: i });
    else blocks[blocks.length - 1].to = i;
  }
  lines.push(`  trained (rows from-to): ${blocks.map((b) => `${b.task} ${b.from}-${b.to}`).join("; ")}`);
  const drops = [];
  for (let k = 1; k < pts.length; k++)
    for (const [task, loss] of Object.entries(pts[k].test.perTask))
      drops.push({ task, step: pts[k].step, drop: pts[k - 1].test.perTask[task] - loss });
  drops.sort((a, b) => b.drop - a.drop);
  lines.push(`  largest per-task drops: ${drops.slice(0, 5).map((d) => `${d.task} -${d.drop.toFixed(2)} at step ${d.step}`).join("; ")}`);
  const rises = drops.filter((d) => d.drop < 0).sort((a, b) => a.drop - b.drop);
  lines.push(`  largest per-task rises: ${rises.slice(0, 5).map((d) => `${d.task} +${(-d.drop).toFixed(2)} at step ${d.step}`).join("; ")}`);
}
process.stdout.write(`${lines.join("\n")}\n`);
