import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Spec as VegaSpec } from "vega";
import type { TopLevelSpec } from "vega-lite";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { atomicWrite, writeAll } from "../data/atomic.js";
import { Staging, writeLines } from "../data/staging.js";
import { exactMatch } from "../evaluate/exact-match.js";
import { escapeHtml, figure, pageHtml } from "../report/html.js";
import { makeOutputDirs, stageChartImages } from "../report/images.js";
import { findFont, toVega } from "../report/render.js";
import type { ReportChart } from "../report/types.js";
import {
  checkRewriteOptions,
  generateRewrite,
  REWRITE_DEFAULTS,
  type RewriteDomain,
  type RewriteExample,
  type RewriteInstructionStyle,
  type RewriteOptions,
  rewriteRecord,
} from "../synth/rewrite.js";
import { resolveSettings, totalSteps } from "../train/options.js";
import { type TrainCurves, train } from "../train/run.js";
import { VERSION } from "../version.js";
import { meanAndStd } from "./area.js";
import { RUN_KEY_FILE, type RunTrainOptions, sha256File } from "./runner.js";

/**
 * Only-IF's threshold experiment (Zhang, Wang & Charton, arXiv 2410.04717): at a fixed budget of N
 * training examples, train on I distinct rewrite rules for several I and measure exact-match accuracy of
 * greedy answers on rules never seen in training. The paper reports that generalization to unseen rules
 * appears only once I is large enough; this measures whether (and where) that happens at a small scale.
 */

/** The synth options the sweep holds fixed (rules, budget and seed vary; test rules are drawn first). */
export type OnlyIfSynthOptions = Omit<RewriteOptions, "rules" | "budget" | "seed" | "testFirst" | "seenTest">;

export const ONLYIF_DEFAULTS = {
  rules: [4, 16, 64, 256, 1024],
  budget: 2048,
  seeds: [0],
  seenTest: 64,
  instruction: "compact" as RewriteInstructionStyle,
  parallel: 1,
  synth: {
    ...REWRITE_DEFAULTS,
    alphabet: 6,
    stringLength: [8, 12] as [number, number],
    patternLength: [2, 3] as [number, number],
    // Random rules, as in Only-IF's first experiment; with short patterns a constrained domain (e.g.
    // "repeated": 2 × alphabet strings of length 2-3) allows too few distinct rules for I = 1024.
    domains: ["unconstrained"] as RewriteDomain[],
    testDomains: ["unconstrained"] as RewriteDomain[],
    testRules: 32,
    testPerRule: 4,
  } satisfies OnlyIfSynthOptions,
};

/** Per-run training options: data, eval, out, seed, label, generate steps and the test sample are set per run. */
export type OnlyIfTrainOptions = Omit<
  RunTrainOptions,
  "generateAt" | "evalMaxExamples" | "generateMaxExamples" | "taskField"
>;

export interface OnlyIfOptions {
  out: string;
  /** Values of I, the number of distinct training rules (ascending after de-duplication). */
  rules?: number[];
  /** N, training examples per run (the same for every I). */
  budget?: number;
  /** Each seed draws its own rules and test set and initializes its own model. */
  seeds?: number[];
  synth?: Partial<OnlyIfSynthOptions>;
  /** Fresh examples of training rules scored as "seen" (0 = none). */
  seenTest?: number;
  instruction?: RewriteInstructionStyle;
  /** Extra steps with greedy generations (the last step is always one). */
  generateAt?: number[];
  /** Trainings at once. */
  parallel?: number;
  /**
   * Reuse a run whose curves and generations exist and whose resume key (training and eval data
   * hashes, seed, label, training options) matches (default true): an interrupted sweep goes on where
   * it stopped, and a finished one is re-scored without training.
   */
  resume?: boolean;
  trainOptions?: OnlyIfTrainOptions;
  /** Also write the charts into this directory: onlyif-threshold.png (accuracy), onlyif-threshold-loss.png. */
  pngDir?: string;
  font?: string;
  onProgress?: ProgressSink;
}

/** Exact-match accuracy of one subset of the test examples. */
export interface Accuracy {
  correct: number;
  examples: number;
  accuracy: number | null;
}

export interface OnlyIfScores {
  step: number;
  /** Every unseen-rule test example (rewrites and no-ops). */
  unseen: Accuracy;
  /** Unseen-rule examples whose string contains the pattern (the answer differs from the input). */
  unseenApply: Accuracy;
  /** Unseen-rule no-ops (the answer is the input). */
  unseenNoop: Accuracy;
  /** Fresh strings for training rules. */
  seen: Accuracy;
}

/**
 * Test loss at the last evaluation (answer-token cross-entropy averaged per example, nats per byte), on
 * the same subsets as the accuracies. Unlike exact match it moves before answers come out whole, so it
 * shows generalization, or its absence, in runs too short for exact answers.
 */
export interface OnlyIfLoss {
  step: number;
  unseen: number | null;
  unseenApply: number | null;
  unseenNoop: number | null;
  seen: number | null;
  /** unseen − seen: how much worse the model does on rules it never saw than on its training rules. */
  gap: number | null;
}

export interface OnlyIfRun {
  rules: number;
  seed: number;
  /** Relative to OUT. */
  dataDir: string;
  runDir: string;
  trainExamples: number;
  steps: number;
  finalTestLoss: number | null;
  /** Test loss per subset at the last evaluation (null when the run has no evaluation). */
  loss: OnlyIfLoss | null;
  /** At every generation step, ascending; the last is the end of training. */
  scores: OnlyIfScores[];
  final: OnlyIfScores;
}

type MeanStd = { mean: number; std: number } | null;

export interface OnlyIfSummary {
  rules: number;
  runs: number;
  unseen: MeanStd;
  unseenApply: MeanStd;
  unseenNoop: MeanStd;
  seen: MeanStd;
  /** Mean and std over seeds of the final test loss on unseen and seen rules, and of their gap. */
  loss: { unseen: MeanStd; seen: MeanStd; gap: MeanStd };
}

export interface OnlyIfThreshold {
  metric: "unseen" | "unseenApply";
  /** Largest mean accuracy over I, and the I where it is reached (the smallest such I). */
  best: { rules: number; accuracy: number } | null;
  /** The fraction of `best` the threshold must exceed. */
  fraction: number;
  /** The smallest I whose mean accuracy exceeds fraction × best (null when best is 0). */
  rules: number | null;
  /** Mean accuracy change between consecutive values of I. */
  jumps: { from: number; to: number; delta: number }[];
  /** The largest of `jumps`, and its share of the whole rise (best − smallest mean). */
  largestJump: { from: number; to: number; delta: number; shareOfRise: number | null } | null;
  /** Set when the best mean is under CAUTION_BELOW: then the threshold and jumps describe noise. */
  caution: string | null;
  description: string;
}

export interface OnlyIfResult {
  tool: "instruct-arrange";
  version: string;
  kind: "experiment";
  name: "onlyif-threshold";
  description: string;
  rules: number[];
  budget: number;
  seeds: number[];
  instruction: RewriteInstructionStyle;
  seenTest: number;
  synth: OnlyIfSynthOptions;
  train: Record<string, unknown>;
  testSet: string;
  runs: OnlyIfRun[];
  summary: OnlyIfSummary[];
  threshold: OnlyIfThreshold[];
}

const THRESHOLD_FRACTION = 0.5;
/** Best mean accuracies below this are too close to zero for a threshold to mean anything. */
export const CAUTION_BELOW = 0.1;

function accuracy(hits: number[]): Accuracy {
  const correct = hits.reduce((a, b) => a + b, 0);
  return { correct, examples: hits.length, accuracy: hits.length === 0 ? null : correct / hits.length };
}

/** The `task` field of an eval record: which subset it scores in. */
function evalTask(split: "unseen" | "seen", e: RewriteExample): string {
  return `${split}/${e.noop ? "noop" : "apply"}`;
}

/** Scores per generation step from a run's generations.jsonl, with the project's exactMatch. */
export async function scoreRunGenerations(path: string): Promise<OnlyIfScores[]> {
  const byStep = new Map<number, { task: string; hit: number }[]>();
  for (const line of (await readFile(path, "utf8")).split("\n")) {
    if (line.trim() === "") continue;
    const g = JSON.parse(line) as { step: number; task: string; reference: string; prediction: string };
    const list = byStep.get(g.step) ?? [];
    list.push({ task: g.task, hit: exactMatch(g.reference, g.prediction) });
    byStep.set(g.step, list);
  }
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, list]) => {
      const pick = (f: (t: string) => boolean) => accuracy(list.filter((x) => f(x.task)).map((x) => x.hit));
      return {
        step,
        unseen: pick((t) => t.startsWith("unseen/")),
        unseenApply: pick((t) => t === "unseen/apply"),
        unseenNoop: pick((t) => t === "unseen/noop"),
        seen: pick((t) => t.startsWith("seen/")),
      };
    });
}

/**
 * Per-subset loss from one evaluation's per-task losses (each a per-example mean), weighted by the
 * subsets' example counts: the per-example mean over the subset.
 */
export function subsetLoss(
  step: number,
  perTask: Readonly<Record<string, number>>,
  counts: ReadonlyMap<string, number>,
): OnlyIfLoss {
  const mean = (f: (t: string) => boolean): number | null => {
    let sum = 0;
    let n = 0;
    for (const [task, count] of counts) {
      const loss = perTask[task];
      if (!f(task) || loss === undefined || count === 0) continue;
      sum += loss * count;
      n += count;
    }
    return n === 0 ? null : sum / n;
  };
  const unseen = mean((t) => t.startsWith("unseen/"));
  const seen = mean((t) => t.startsWith("seen/"));
  return {
    step,
    unseen,
    unseenApply: mean((t) => t === "unseen/apply"),
    unseenNoop: mean((t) => t === "unseen/noop"),
    seen,
    gap: unseen === null || seen === null ? null : unseen - seen,
  };
}

/** Threshold, jumps and a one-line description, all computed from the per-I means. */
export function computeThreshold(
  summary: readonly OnlyIfSummary[],
  metric: "unseen" | "unseenApply",
  fraction = THRESHOLD_FRACTION,
): OnlyIfThreshold {
  const points = summary
    .map((s) => ({ rules: s.rules, value: s[metric]?.mean ?? null }))
    .filter((p): p is { rules: number; value: number } => p.value !== null)
    .sort((a, b) => a.rules - b.rules);
  const jumps = points
    .slice(1)
    .map((p, i) => ({ from: points[i]!.rules, to: p.rules, delta: p.value - points[i]!.value }));
  if (points.length === 0)
    return {
      metric,
      best: null,
      fraction,
      rules: null,
      jumps,
      largestJump: null,
      caution: null,
      description: "no accuracy measured",
    };
  let best = points[0]!;
  for (const p of points) if (p.value > best.value) best = p;
  const low = Math.min(...points.map((p) => p.value));
  const rise = best.value - low;
  const crossing = best.value > 0 ? points.find((p) => p.value > fraction * best.value) : undefined;
  let largest: (typeof jumps)[number] | undefined;
  for (const j of jumps) if (largest === undefined || j.delta > largest.delta) largest = j;
  const largestJump =
    largest === undefined ? null : { ...largest, shareOfRise: rise > 0 ? largest.delta / rise : null };
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const caution =
    best.value > 0 && best.value < CAUTION_BELOW
      ? `the best mean accuracy is under ${pct(CAUTION_BELOW)}: the threshold and jumps describe a few lucky answers, not generalization`
      : null;
  const name = metric === "unseen" ? "unseen-rule accuracy" : "unseen-rule accuracy on rewrites (no no-ops)";
  const description =
    best.value === 0
      ? `${name} is 0 for every I: no threshold`
      : `${name}: best ${pct(best.value)} at I=${best.rules}; first exceeds ${pct(fraction)} of the best at I=${crossing!.rules} (${pct(crossing!.value)})` +
        (largestJump === null
          ? ""
          : `; largest rise between consecutive I: ${largestJump.from} -> ${largestJump.to}, ${largestJump.delta >= 0 ? "+" : ""}${pct(largestJump.delta)}` +
            (largestJump.shareOfRise === null
              ? ""
              : ` (${pct(largestJump.shareOfRise)} of the whole rise ${pct(rise)})`));
  return {
    metric,
    best: { rules: best.rules, accuracy: best.value },
    fraction,
    rules: crossing?.rules ?? null,
    jumps,
    largestJump,
    caution,
    description: caution === null ? description : `${description}. CAUTION: ${caution}`,
  };
}

type SweepPoint = { rules: number; series: string; value: number; std?: number; seed?: number };

/** Vega-Lite layers over I (log x): the means as lines and single runs as dots, one colour per series. */
function sweepChart(
  rulesAxis: number[],
  means: SweepPoint[],
  runs: SweepPoint[],
  series: string[],
  y: { title: string; domain?: [number, number] },
  title: string,
): TopLevelSpec {
  const domain = series.filter((l) => means.some((m) => m.series === l));
  const x = {
    field: "rules",
    type: "quantitative" as const,
    title: "distinct training rules I (log scale)",
    scale: { type: "log" as const, base: 2 },
    axis: { values: rulesAxis },
  };
  const yEnc = {
    field: "value",
    type: "quantitative" as const,
    title: y.title,
    ...(y.domain === undefined ? {} : { scale: { domain: y.domain } }),
  };
  const color = {
    field: "series",
    type: "nominal" as const,
    title: null,
    scale: { domain },
    legend: { labelLimit: 300 },
  };
  const tip = (extra: object[]) => [
    { field: "series", type: "nominal" },
    { field: "rules", type: "quantitative", title: "I" },
    ...extra,
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 560,
    height: 320,
    layer: [
      {
        data: { values: means },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: yEnc,
          color,
          tooltip: tip([
            { field: "value", type: "quantitative", format: ".3f", title: "mean" },
            { field: "std", type: "quantitative", format: ".3f" },
          ]),
        },
      },
      {
        data: { values: runs },
        mark: { type: "point", shape: "circle", size: 20, opacity: 0.5, filled: true },
        encoding: {
          x,
          y: yEnc,
          color,
          tooltip: tip([
            { field: "seed", type: "quantitative" },
            { field: "value", type: "quantitative", format: ".3f" },
          ]),
        },
      },
    ],
  } as TopLevelSpec;
}

const rulesAxis = (summary: readonly OnlyIfSummary[]) => [...new Set(summary.map((s) => s.rules))];

/** Vega-Lite chart: exact-match accuracy against I (log x), per-seed points and the mean over seeds as lines. */
export function onlyIfSpec(result: Pick<OnlyIfResult, "runs" | "summary" | "budget">): TopLevelSpec {
  const metrics = [
    ["unseen", "unseen rules (all)"],
    ["unseenApply", "unseen rules, rewrites only"],
    ["seen", "seen rules, fresh strings"],
  ] as const;
  const means = result.summary.flatMap((s) =>
    metrics
      .filter(([m]) => s[m] !== null)
      .map(([m, label]) => ({ rules: s.rules, series: label, value: s[m]!.mean, std: s[m]!.std })),
  );
  const runs = result.runs.flatMap((r) =>
    metrics
      .filter(([m]) => r.final[m].accuracy !== null)
      .map(([m, label]) => ({ rules: r.rules, seed: r.seed, series: label, value: r.final[m].accuracy! })),
  );
  return sweepChart(
    rulesAxis(result.summary),
    means,
    runs,
    metrics.map(([, l]) => l),
    { title: "exact-match accuracy", domain: [0, 1] },
    `Greedy exact match against the number of training rules, budget ${result.budget}`,
  );
}

/** Vega-Lite chart: final test loss on unseen and seen rules, and their gap, against I (log x). */
export function onlyIfLossSpec(result: Pick<OnlyIfResult, "runs" | "summary" | "budget">): TopLevelSpec {
  const metrics = [
    ["unseen", "test loss, unseen rules"],
    ["seen", "test loss, seen rules"],
    ["gap", "gap (unseen − seen)"],
  ] as const;
  const means = result.summary.flatMap((s) =>
    metrics
      .filter(([m]) => s.loss[m] !== null)
      .map(([m, label]) => ({ rules: s.rules, series: label, value: s.loss[m]!.mean, std: s.loss[m]!.std })),
  );
  const runs = result.runs.flatMap((r) =>
    metrics
      .filter(([m]) => r.loss !== null && r.loss[m] !== null)
      .map(([m, label]) => ({ rules: r.rules, seed: r.seed, series: label, value: r.loss![m]! })),
  );
  return sweepChart(
    rulesAxis(result.summary),
    means,
    runs,
    metrics.map(([, l]) => l),
    { title: "answer-token cross-entropy (nats per byte)" },
    `Test loss at the last evaluation against the number of training rules, budget ${result.budget}`,
  );
}

const fmtLoss = (x: number | null) => (x === null ? "-" : x.toFixed(3));

function lossCell(m: MeanStd): string {
  if (m === null) return '<td class="num">–</td>';
  return `<td class="num">${m.mean.toFixed(3)}${m.std > 0 ? ` ± ${m.std.toFixed(3)}` : ""}</td>`;
}

function pctCell(m: MeanStd): string {
  if (m === null) return '<td class="num">–</td>';
  return `<td class="num">${(100 * m.mean).toFixed(1)}%${m.std > 0 ? ` ± ${(100 * m.std).toFixed(1)}` : ""}</td>`;
}

/** The two charts of the sweep, as the report's pages draw them. */
export function onlyIfCharts(result: OnlyIfResult): ReportChart[] {
  const seeds = `Lines: mean over seeds ${result.seeds.join(", ")}; dots: single runs.`;
  return [
    {
      name: "accuracy",
      title: "Only-IF threshold: unseen-rule accuracy against the number of training rules",
      caption: `Exact match of greedy answers after training on ${result.budget} examples of I distinct rules. ${seeds}`,
      spec: onlyIfSpec(result),
    },
    {
      name: "loss",
      title: "Test loss on unseen and seen rules against the number of training rules",
      caption:
        "Answer-token cross-entropy per example (nats per byte) at the last evaluation; the gap is unseen minus seen. " +
        seeds,
      spec: onlyIfLossSpec(result),
    },
  ];
}

/** The self-contained report page (vega inlined, no network), in the look of `report`'s pages. */
export function onlyIfHtml(result: OnlyIfResult, charts: { chart: ReportChart; vega: VegaSpec }[]): string {
  const rows = result.summary
    .map(
      (s) =>
        `<tr><td class="num">${s.rules}</td><td class="num">${s.runs}</td>${pctCell(s.unseen)}${pctCell(s.unseenApply)}${pctCell(s.unseenNoop)}${pctCell(s.seen)}` +
        `${lossCell(s.loss.unseen)}${lossCell(s.loss.seen)}${lossCell(s.loss.gap)}</tr>`,
    )
    .join("");
  const body = [
    `<section id="charts"><h2>Charts</h2>${charts.map((c) => figure(c.chart)).join("")}</section>`,
    `<section id="threshold"><h2>Threshold</h2><ul>${result.threshold.map((t) => `<li>${escapeHtml(t.description)}</li>`).join("")}</ul></section>`,
    '<section id="table"><h2>Accuracy and test loss per I</h2><table><thead><tr><th>I</th><th>runs</th><th>unseen (all)</th><th>unseen rewrites</th>' +
      `<th>unseen no-ops</th><th>seen rules</th><th>test loss, unseen</th><th>test loss, seen</th><th>loss gap (unseen − seen)</th></tr></thead><tbody>${rows}</tbody></table>` +
      "<p>Accuracy: exact match of greedy answers at the last step. Test loss: answer-token cross-entropy per example (nats per byte) at the last evaluation; the gap shows how much worse unseen rules are predicted than training rules, and it moves before whole answers come out right.</p></section>",
    `<section id="settings"><h2>Settings</h2><pre>${escapeHtml(JSON.stringify({ budget: result.budget, seeds: result.seeds, instruction: result.instruction, seenTest: result.seenTest, synth: result.synth, train: result.train }, null, 2))}</pre></section>`,
  ].join("\n");
  return pageHtml({
    title: "Only-IF threshold: unseen-rule accuracy against the number of training rules",
    meta: "Task and question: Zhang, Wang &amp; Charton, arXiv 2410.04717.",
    nav: [
      ["charts", "Charts"],
      ["threshold", "Threshold"],
      ["table", "Per I"],
      ["settings", "Settings"],
    ],
    body,
    charts,
  });
}

function checkList(list: number[], flag: string, min: number): number[] {
  const out = [...new Set(list)].sort((a, b) => a - b);
  if (out.length === 0) throw usageError(`${flag} is empty`, flag, `pass e.g. ${flag} ${min}`);
  for (const v of out)
    if (!Number.isSafeInteger(v) || v < min)
      throw usageError(
        `${flag} values must be integers >= ${min}, got ${v}`,
        flag,
        `pass e.g. ${flag} ${min}`,
      );
  return out;
}

/** Run `jobs` with at most `parallel` at once; results in job order. */
export async function pool<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= jobs.length) return;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}

const lines = (records: Record<string, unknown>[]) => records.map((r) => `${JSON.stringify(r)}\n`);

/**
 * Sweep I at a fixed budget: per seed and I, generate the rewrite task with the test rules drawn first
 * (the same unseen-rule test set for every I of a seed), train with the project's train() on exactly the
 * budget, and score greedy answers with exact match. Writes OUT/experiment.json, OUT/report.html,
 * OUT/timings.json, OUT/data/i<I>-seed<s>/ and OUT/runs/i<I>-seed<s>/.
 */
export async function onlyIfThreshold(options: OnlyIfOptions): Promise<OnlyIfResult> {
  const onProgress = options.onProgress ?? noProgress;
  const out = resolve(options.out);
  const rulesList = checkList(options.rules ?? ONLYIF_DEFAULTS.rules, "--rules", 1);
  const seeds = checkList(options.seeds ?? ONLYIF_DEFAULTS.seeds, "--seeds", 0);
  const budget = options.budget ?? ONLYIF_DEFAULTS.budget;
  const seenTest = options.seenTest ?? ONLYIF_DEFAULTS.seenTest;
  const instruction = options.instruction ?? ONLYIF_DEFAULTS.instruction;
  const parallel = options.parallel ?? ONLYIF_DEFAULTS.parallel;
  const resume = options.resume ?? true;
  if (!Number.isSafeInteger(parallel) || parallel < 1)
    throw usageError(
      `--parallel must be an integer >= 1, got ${parallel}`,
      "--parallel",
      "pass e.g. --parallel 2",
    );
  const synthIn = { ...ONLYIF_DEFAULTS.synth, ...options.synth };
  const synth: OnlyIfSynthOptions = {
    ...synthIn,
    testDomains: options.synth?.testDomains ?? synthIn.domains,
  };
  // Every option is checked before anything is generated or trained (largest I: the tightest budget).
  for (const seed of seeds)
    checkRewriteOptions({
      ...synth,
      rules: rulesList[rulesList.length - 1]!,
      budget,
      seed,
      testFirst: true,
      seenTest,
    });
  const trainIn = options.trainOptions ?? {};
  // The resume key leaves out what cannot change the results: progress and the Python that runs them.
  const { onProgress: _progress, python: _python, ...keyedTrain } = trainIn;
  const maxNewTokens =
    trainIn.maxNewTokens ??
    synth.stringLength[1] + Math.max(0, synth.patternLength[1] - synth.patternLength[0]) + 2;
  const settings = resolveSettings({ ...trainIn, maxNewTokens });
  const steps = totalSteps(settings, budget);
  const generateAt = [...new Set([...(options.generateAt ?? []), steps])].sort((a, b) => a - b);
  const bad = generateAt.find((s) => !Number.isSafeInteger(s) || s < 0 || s > steps);
  if (bad !== undefined)
    throw usageError(
      `--generate-at ${bad} is outside 0..${steps}`,
      "--generate-at",
      `give steps between 0 and ${steps}`,
    );
  const evalEvery = trainIn.evalEvery ?? Math.max(1, Math.ceil(steps / 4));

  // Data first (cheap, and a bad option fails before any training).
  const jobs: {
    rules: number;
    seed: number;
    dataDir: string;
    runDir: string;
    trainExamples: number;
    /** Eval examples per task (unseen/apply, unseen/noop, seen/...). */
    evalCounts: Map<string, number>;
  }[] = [];
  const testSetsEqual: boolean[] = [];
  for (const seed of seeds) {
    let firstTest: string | undefined;
    for (const rules of rulesList) {
      const set = generateRewrite({ ...synth, rules, budget, seed, testFirst: true, seenTest });
      const name = `i${rules}-seed${seed}`;
      const dataDir = join(out, "data", name);
      await mkdir(dataDir, { recursive: true });
      const testRecords = set.test.map((e) => ({
        ...rewriteRecord(e, instruction),
        task: evalTask("unseen", e),
        domain: e.domain,
      }));
      const seenRecords = set.seenTest.map((e) => ({
        ...rewriteRecord(e, instruction),
        task: evalTask("seen", e),
        domain: e.domain,
      }));
      const testText = lines(testRecords).join("");
      if (firstTest === undefined) firstTest = testText;
      testSetsEqual.push(testText === firstTest);
      const staged = new Staging();
      try {
        await writeLines(
          staged.path(join(dataDir, "train.jsonl")),
          lines(set.train.map((e) => rewriteRecord(e, instruction))),
        );
        await writeLines(staged.path(join(dataDir, "eval.jsonl")), lines([...testRecords, ...seenRecords]));
        await writeLines(staged.path(join(dataDir, "rules.json")), [
          `${JSON.stringify(
            {
              train: set.trainRules.map((r) => ({
                rule: `${r.x}->${r.y}`,
                domain: r.domain,
                examples: r.examples,
              })),
              test: set.testRules.map((r) => ({
                rule: `${r.x}->${r.y}`,
                domain: r.domain,
                examples: r.examples,
              })),
            },
            null,
            2,
          )}\n`,
        ]);
        await staged.commit();
      } catch (e) {
        await staged.abort();
        throw e;
      }
      const evalCounts = new Map<string, number>();
      for (const r of [...testRecords, ...seenRecords])
        evalCounts.set(r.task, (evalCounts.get(r.task) ?? 0) + 1);
      jobs.push({
        rules,
        seed,
        dataDir,
        runDir: join(out, "runs", name),
        trainExamples: set.train.length,
        evalCounts,
      });
    }
  }

  let done = 0;
  const timings: {
    rules: number;
    seed: number;
    seconds: number | null;
    trainSeconds: number | null;
    stepsPerSecond: number | null;
    /** Reused from an earlier run of the sweep (timings are that run's). */
    reused: boolean;
  }[] = [];
  const runs = await pool(
    jobs.map((job) => async (): Promise<OnlyIfRun> => {
      const label = `I=${job.rules} seed ${job.seed}`;
      const trainPath = join(job.dataDir, "train.jsonl");
      const evalPath = join(job.dataDir, "eval.jsonl");
      const keyText = `${JSON.stringify(
        {
          data: await sha256File(trainPath),
          eval: await sha256File(evalPath),
          seed: job.seed,
          label,
          train: { ...keyedTrain, maxNewTokens, evalEvery, generateAt },
        },
        null,
        2,
      )}\n`;
      const keyPath = join(job.runDir, RUN_KEY_FILE);
      let r: {
        curves: TrainCurves;
        seconds: number | null;
        trainSeconds: number | null;
        stepsPerSecond: number | null;
      };
      let reused = false;
      if (
        resume &&
        existsSync(join(job.runDir, "curves.json")) &&
        existsSync(join(job.runDir, "generations.jsonl")) &&
        existsSync(keyPath) &&
        (await readFile(keyPath, "utf8")) === keyText
      ) {
        const curves = JSON.parse(await readFile(join(job.runDir, "curves.json"), "utf8")) as TrainCurves;
        let t: { seconds?: number; trainSeconds?: number; stepsPerSecond?: number | null } = {};
        try {
          t = JSON.parse(await readFile(join(job.runDir, "run.json"), "utf8"))?.timings ?? {};
        } catch {
          t = {};
        }
        r = {
          curves,
          seconds: t.seconds ?? null,
          trainSeconds: t.trainSeconds ?? null,
          stepsPerSecond: t.stepsPerSecond ?? null,
        };
        reused = true;
        onProgress({
          stage: "experiment",
          done,
          total: jobs.length,
          unit: "runs",
          message: `reusing ${label}: ${job.runDir} is complete with the same settings`,
        });
      } else {
        onProgress({
          stage: "experiment",
          done,
          total: jobs.length,
          unit: "runs",
          message: `training ${label} -> ${job.runDir}`,
        });
        r = await train({
          ...trainIn,
          maxNewTokens,
          evalEvery,
          generateAt,
          data: trainPath,
          eval: evalPath,
          out: job.runDir,
          seed: job.seed,
          label,
          // The experiment owns its run directories: a run with other settings replaces the old one.
          overwrite: true,
          taskField: "task",
          // Progress of parallel runs would interleave: only the sequential sweep shows the trainer's.
          onProgress: parallel === 1 ? trainIn.onProgress : undefined,
        });
        await atomicWrite(keyPath, (fh) => writeAll(fh, Buffer.from(keyText)));
      }
      const scores = await scoreRunGenerations(join(job.runDir, "generations.jsonl"));
      const final = scores[scores.length - 1]!;
      const last = r.curves.points[r.curves.points.length - 1];
      const loss = last === undefined ? null : subsetLoss(last.step, last.test.perTask, job.evalCounts);
      timings.push({
        rules: job.rules,
        seed: job.seed,
        seconds: r.seconds,
        trainSeconds: r.trainSeconds,
        stepsPerSecond: r.stepsPerSecond,
        reused,
      });
      done++;
      const pct = (a: Accuracy) => (a.accuracy === null ? "-" : `${(100 * a.accuracy).toFixed(1)}%`);
      onProgress({
        stage: "experiment",
        done,
        total: jobs.length,
        unit: "runs",
        message:
          `${label}: unseen ${pct(final.unseen)} (rewrites ${pct(final.unseenApply)}), seen ${pct(final.seen)}` +
          (loss === null ? "" : `; test loss unseen ${fmtLoss(loss.unseen)}, seen ${fmtLoss(loss.seen)}`),
      });
      return {
        rules: job.rules,
        seed: job.seed,
        dataDir: relative(out, job.dataDir),
        runDir: relative(out, job.runDir),
        trainExamples: job.trainExamples,
        steps: r.curves.steps,
        finalTestLoss: last?.test.loss ?? null,
        loss,
        scores,
        final,
      };
    }),
    parallel,
  );

  const ms = (values: (number | null)[]): MeanStd => {
    const v = values.filter((x): x is number => x !== null);
    return v.length === 0 ? null : meanAndStd(v);
  };
  const summary: OnlyIfSummary[] = rulesList.map((rules) => {
    const mine = runs.filter((r) => r.rules === rules);
    return {
      rules,
      runs: mine.length,
      unseen: ms(mine.map((r) => r.final.unseen.accuracy)),
      unseenApply: ms(mine.map((r) => r.final.unseenApply.accuracy)),
      unseenNoop: ms(mine.map((r) => r.final.unseenNoop.accuracy)),
      seen: ms(mine.map((r) => r.final.seen.accuracy)),
      loss: {
        unseen: ms(mine.map((r) => r.loss?.unseen ?? null)),
        seen: ms(mine.map((r) => r.loss?.seen ?? null)),
        gap: ms(mine.map((r) => r.loss?.gap ?? null)),
      },
    };
  });
  const { onProgress: _p, python: _py, ...trainShown } = trainIn;
  const result: OnlyIfResult = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "experiment",
    name: "onlyif-threshold",
    description:
      "Exact-match accuracy of greedy answers on rewrite rules never seen in training, against the number of distinct training rules I at a fixed budget (Only-IF, arXiv 2410.04717)",
    rules: rulesList,
    budget,
    seeds,
    instruction,
    seenTest,
    synth,
    train: {
      ...trainShown,
      model: settings.model,
      batchSize: settings.batchSize,
      lr: settings.lr,
      epochs: settings.epochs,
      maxSteps: settings.maxSteps,
      steps,
      evalEvery,
      generateAt,
      maxNewTokens,
    },
    testSet: testSetsEqual.every(Boolean)
      ? "per seed, the same unseen-rule test examples for every I (test rules drawn first; training rules avoid their patterns)"
      : "WARNING: the unseen-rule test set differs between values of I",
    runs,
    summary,
    threshold: [computeThreshold(summary, "unseen"), computeThreshold(summary, "unseenApply")],
  };

  const charts = onlyIfCharts(result).map((chart) => ({ chart, vega: toVega(chart.spec) }));
  const font = options.pngDir !== undefined ? findFont(options.font) : undefined;
  if (options.pngDir !== undefined) await makeOutputDirs({ out, pngDir: options.pngDir });
  const staged = new Staging();
  try {
    await writeLines(staged.path(join(out, "experiment.json")), [`${JSON.stringify(result, null, 2)}\n`]);
    await writeLines(staged.path(join(out, "report.html")), [onlyIfHtml(result, charts)]);
    for (const { chart } of charts)
      await writeLines(staged.path(join(out, `${chart.name}.vl.json`)), [
        `${JSON.stringify(chart.spec, null, 2)}\n`,
      ]);
    timings.sort((a, b) => a.rules - b.rules || a.seed - b.seed);
    await writeLines(staged.path(join(out, "timings.json")), [
      `${JSON.stringify({ parallel, runs: timings }, null, 2)}\n`,
    ]);
    // The images keep their names from before the loss chart: onlyif-threshold(.png|-loss.png).
    const imageName = (name: string) =>
      name === "accuracy" ? "onlyif-threshold" : `onlyif-threshold-${name}`;
    await stageChartImages(
      staged,
      charts.map(({ chart, vega }) => ({ chart: { ...chart, name: imageName(chart.name) }, vega })),
      { pngDir: options.pngDir, font },
    );
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return result;
}
