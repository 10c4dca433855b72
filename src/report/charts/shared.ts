import { CURVE_NAMES, type CurveSet } from "../../analyze/types.js";
import { usageError } from "../../core/errors.js";
import type { ChartOptions, ReportData } from "../types.js";
import { CONFIG } from "./theme.js";

export type Row = Record<string, string | number>;
export type Data = Pick<ReportData, "arrangements" | "runs">;

/** What each overall measure is, for panel titles. */
export const MEASURE_TITLES: Record<keyof CurveSet | "wsd", string> = {
  "cos-min": "cos-min: nearest cosine distance",
  "cos-max": "cos-max: farthest cosine distance",
  "cos-avg": "cos-avg: mean cosine distance",
  "cos-centroid": "cos-centroid: cosine distance of the means",
  "euc-min": "euc-min: nearest Euclidean distance",
  "euc-max": "euc-max: farthest Euclidean distance",
  "euc-avg": "euc-avg: mean Euclidean distance",
  "euc-centroid": "euc-centroid: Euclidean distance of the means",
  "kl-bigram": "kl-bigram: bigram KL divergence",
  wsd: "wsd: mean WSD of the rows",
};

/** The y axis title of every similarity panel: which way is better. */
export const LOWER_MORE_SIMILAR = "lower = more similar";
export const LOWER_BETTER = "lower = better";

/** Panel measures of the curves charts: the nine curves, then the rows' mean WSD. */
export const STEP_MEASURES = [...CURVE_NAMES, "wsd"] as const;
export type StepMeasure = (typeof STEP_MEASURES)[number];

/** The full chart options with their defaults. */
export function chartOptions(o: Partial<ChartOptions> = {}): ChartOptions {
  return {
    taskMeasure: o.taskMeasure ?? "cos-avg",
    maxTaskPanels: o.maxTaskPanels ?? 12,
    logSteps: o.logSteps ?? false,
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    ...(o.taskGroup !== undefined ? { taskGroup: o.taskGroup } : {}),
    ...(o.measures !== undefined ? { measures: o.measures } : {}),
    ...(o.width !== undefined ? { width: o.width } : {}),
  };
}

/**
 * The group a task belongs to under `--task-group REGEX`: the first capture group of the first match,
 * else the whole match; a task the pattern does not match is its own group.
 */
export function taskGroupOf(pattern: RegExp | undefined): (task: string) => string {
  if (pattern === undefined) return (t) => t;
  return (task) => {
    const m = pattern.exec(task);
    if (m === null) return task;
    const g = m[1] ?? m[0];
    return g === "" ? task : g;
  };
}

/** Per-task measures that combine exactly over the test rows of several tasks (min, max, mean). */
export const GROUPABLE_MEASURES: readonly (keyof CurveSet)[] = [
  "cos-min",
  "cos-max",
  "cos-avg",
  "euc-min",
  "euc-max",
  "euc-avg",
];

/** Refuses a task measure that cannot be combined over grouped test tasks. */
export function checkTaskGroupMeasure(o: ChartOptions): void {
  if (o.taskGroup !== undefined && !GROUPABLE_MEASURES.includes(o.taskMeasure))
    throw usageError(
      `--task-group cannot combine ${o.taskMeasure} over several test tasks (it is not a min, max or mean over test rows)`,
      "--task-measure",
      `pass one of ${GROUPABLE_MEASURES.join(", ")} with --task-group, or drop --task-group`,
    );
}

/** Whether a step is drawn: within --max-steps, and above 0 on a log axis. */
export function stepShown(step: number, o: ChartOptions): boolean {
  if (o.maxSteps !== undefined && step > o.maxSteps) return false;
  return !o.logSteps || step > 0;
}

/** Layout and type sizes: the page's, or fitted to a figure's total width. */
export function layout(o: ChartOptions, panels: number, perRow = 3) {
  if (o.width === undefined) return { columns: Math.min(perRow, panels), width: 220, config: CONFIG };
  const columns = Math.max(1, Math.min(panels, perRow, Math.floor(o.width / 150)));
  // About 50 px per panel for the y axis and its title, 10 px between panels.
  const width = Math.max(60, Math.floor(o.width / columns) - 58);
  return { columns, width, config: FIGURE_CONFIG };
}

/** Smaller type for figures (1 px = 1 pt at 72 dpi, so 8 px reads as 8 pt in a paper). */
export const FIGURE_CONFIG = {
  ...CONFIG,
  axis: { ...CONFIG.axis, labelFontSize: 7, titleFontSize: 8 },
  header: { labelFontSize: 8, titleFontSize: 8 },
  legend: { ...CONFIG.legend, labelFontSize: 7, titleFontSize: 8, labelLimit: 200 },
  title: { fontSize: 9, anchor: "start" as const },
};

export function legendFor(n: number, o: ChartOptions) {
  return {
    orient: "bottom" as const,
    direction: "horizontal" as const,
    columns: Math.max(1, Math.min(n, o.width === undefined ? 4 : 2)),
    labelLimit: o.width === undefined ? 320 : 200,
  };
}

export function stepAxis(values: Row[], o: ChartOptions) {
  const steps = values.map((v) => v.step).filter((s): s is number => typeof s === "number");
  const lo = steps.length > 0 ? Math.min(...steps) : 0;
  const hi = steps.length > 0 ? Math.max(...steps) : 1;
  return {
    field: "step",
    type: "quantitative" as const,
    title: o.logSteps ? "optimizer step (log scale)" : "optimizer step",
    scale: o.logSteps
      ? { type: "log" as const, domain: [Math.max(1, lo), Math.max(hi, lo + 1)], nice: false }
      : { domain: [lo, hi === lo ? lo + 1 : hi], nice: false, zero: false },
  };
}
