import { usageError } from "../core/errors.js";
import type { ProgressSink } from "../core/progress.js";
import type { Measure } from "../core/types.js";
import {
  type ArmSummary,
  type ExperimentResult,
  type ExperimentRun,
  type RunTrainOptions,
  runExperiment,
} from "./runner.js";
import { builtinSpec } from "./spec.js";

export const FIG3_ORDERS = ["nearest-first", "random", "farthest-first"] as const;
export type Fig3Order = (typeof FIG3_ORDERS)[number];
/** The fig3-left arm label of each order. */
export const FIG3_LABELS: Record<Fig3Order, string> = {
  "nearest-first": "NFT",
  random: "RT",
  "farthest-first": "FFT",
};

export interface Fig3LeftOptions {
  /** Training and test sets, or `data` + `holdout` for a task-level split of one directory. */
  train?: string;
  test?: string;
  data?: string;
  holdout?: string[];
  out: string;
  orders?: Fig3Order[];
  seeds?: number[];
  /** Ranking measure (the figure uses WSD). */
  measure?: Measure;
  embedder?: string;
  ngramDims?: number;
  /** Area window: steps 0..aucSteps (default: every step). */
  aucSteps?: number;
  /** Training runs at once (default 1). */
  parallel?: number;
  /** Write OUT/report.html (default true). */
  report?: boolean;
  trainOptions?: RunTrainOptions;
  onProgress?: ProgressSink;
}

export type Fig3Run = ExperimentRun;
export type Fig3Summary = ArmSummary;
export type Fig3LeftResult = ExperimentResult;

/**
 * The paper's Fig. 3 (left): the same training examples ranked by WSD nearest first (NFT), shuffled
 * (RT) and farthest first (FFT), each trained with the same seed; test loss on unseen tasks against
 * steps. The built-in spec `fig3-left` of runExperiment; writes OUT/experiment.json, OUT/arranged/*.jsonl,
 * one run directory per order and seed, and OUT/report.html.
 */
export async function fig3Left(options: Fig3LeftOptions): Promise<Fig3LeftResult> {
  const { orders, ...rest } = options;
  if (orders !== undefined && orders.length === 0)
    throw usageError("nothing to run: no orders", "--orders", "pass e.g. --orders nft,rt,fft");
  return runExperiment({
    ...rest,
    spec: builtinSpec("fig3-left"),
    specSource: "built-in experiment fig3-left",
    arms: orders?.map((o) => FIG3_LABELS[o]),
  });
}
