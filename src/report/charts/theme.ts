import type { ExperimentResult } from "../../experiment/result.js";
import type { ReportData } from "../types.js";

/** Panels of the curves chart that come from training runs, drawn before the similarity measures. */
export const LOSS_PANELS = ["test loss", "train loss"] as const;

export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** Tableau-10: one colour per arrangement or run, the same in every chart. */
export const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

export const CONFIG = {
  font: "sans-serif",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#eee" },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: "start" as const },
};

/** Arrangement labels, then run labels not already among them: the colour domain of every chart. */
export function seriesDomain(data: Pick<ReportData, "arrangements" | "runs">): string[] {
  const out = data.arrangements.map((a) => a.label);
  for (const r of data.runs) if (!out.includes(r.label)) out.push(r.label);
  return out;
}

export function colorScale(domain: string[]) {
  return { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) };
}

/** One colour per arm of an experiment, in summary order. */
export function armColors(result: Pick<ExperimentResult, "summary">) {
  return colorScale(result.summary.map((s) => s.label));
}
