import type { ChartOptions, ReportChart, ReportData } from "../types.js";
import { analysisCharts } from "./analysis.js";
import { diversityCharts } from "./diversity.js";
import { chartOptions } from "./shared.js";

/*
 * The charts of a report, one home, one file per chart: theme.ts (schema, palette, config), shared.ts
 * (chart options, measures, layout), step-panels.ts (panels over the optimizer step), training-sets.ts
 * (arrangements that hold the same rows), analysis.ts (the analyses' charts in page order) and a file
 * per chart: curves, window-curves, task-curves, composition, batch-tasks, wsd, rounds, projection,
 * coverage; diversity.ts (the diversity reports' charts).
 */
export * from "./analysis.js";
export * from "./batch-tasks.js";
export * from "./composition.js";
export * from "./coverage.js";
export * from "./curves.js";
export * from "./diversity.js";
export * from "./projection.js";
export * from "./rounds.js";
export * from "./shared.js";
export * from "./step-panels.js";
export * from "./task-curves.js";
export { CONFIG, colorScale, LOSS_PANELS, PALETTE, SCHEMA, seriesDomain } from "./theme.js";
export * from "./training-sets.js";
export * from "./window-curves.js";
export * from "./wsd.js";

/** Analysis charts and diversity charts, in page order: see `reportCharts`. */
export type ChartData = Pick<ReportData, "arrangements" | "runs"> & Partial<Pick<ReportData, "diversity">>;

/**
 * Every chart of a report, in page order: the analyses' (see `analysisCharts`), then the diversity
 * reports' (comparison only for two or more, cluster sizes only when listed).
 */
export function reportCharts(data: ChartData, options: Partial<ChartOptions> = {}): ReportChart[] {
  return [...analysisCharts(data, chartOptions(options)), ...diversityCharts(data.diversity ?? [])];
}
