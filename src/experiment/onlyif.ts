import { readFile } from "node:fs/promises";
import type { ProgressSink } from "../core/progress.js";
import { exactMatch } from "../evaluate/exact-match.js";
import {
  REWRITE_DEFAULTS,
  type RewriteDomain,
  type RewriteExample,
  type RewriteInstructionStyle,
  type RewriteOptions,
} from "../synth/rewrite.js";
import { meanAndStd } from "./area.js";
import type { RunTrainOptions } from "./jobs.js";

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

export type MeanStd = { mean: number; std: number } | null;

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
export function evalTask(split: "unseen" | "seen", e: RewriteExample): string {
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

/** Per I: the means and spreads over seeds of the final accuracies and test losses. */
export function summarizeSweep(rulesList: readonly number[], runs: readonly OnlyIfRun[]): OnlyIfSummary[] {
  const ms = (values: (number | null)[]): MeanStd => {
    const v = values.filter((x): x is number => x !== null);
    return v.length === 0 ? null : meanAndStd(v);
  };
  return rulesList.map((rules) => {
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
}
