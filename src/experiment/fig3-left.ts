import type { ProgressSink } from "../core/progress.js";
import type { Measure } from "../core/types.js";
import type { RunTrainOptions } from "./jobs.js";
import type { ArmSummary, ExperimentResult, ExperimentRun } from "./result.js";

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
