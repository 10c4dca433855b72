import type { ChartOptions, ReportChart, ReportData } from "../types.js";
import { analysisCharts, chartOptions } from "./arrangement.js";
import { diversityCharts } from "./diversity.js";

/*
 * The charts of a report, one home: theme.ts (schema, palette, config), arrangement.ts (the analyses'
 * charts: curves, coverage, projection, rounds, ...), diversity.ts (the diversity reports' charts).
 */
export * from "./arrangement.js";
export * from "./diversity.js";
export { CONFIG, colorScale, LOSS_PANELS, PALETTE, SCHEMA, seriesDomain } from "./theme.js";

/** Analysis charts and diversity charts, in page order: see `reportCharts`. */
export type ChartData = Pick<ReportData, "arrangements" | "runs"> & Partial<Pick<ReportData, "diversity">>;

/**
 * Every chart of a report, in page order: the analyses' (see `analysisCharts`), then the diversity
 * reports' (comparison only for two or more, cluster sizes only when listed).
 */
export function reportCharts(data: ChartData, options: Partial<ChartOptions> = {}): ReportChart[] {
  return [...analysisCharts(data, chartOptions(options)), ...diversityCharts(data.diversity ?? [])];
}
