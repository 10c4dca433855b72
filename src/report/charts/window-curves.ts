import type { TopLevelSpec } from "vega-lite";
import { CURVE_NAMES } from "../../analyze/types.js";
import type { ChartOptions } from "../types.js";
import { chartOptions, type Data, type Row, STEP_MEASURES, type StepMeasure, stepShown } from "./shared.js";
import { measurePanels, roundRuleRows, stepPanelsSpec } from "./step-panels.js";

/** Whether any analysis has per-interval curves (analyses written before them have none). */
export const hasWindowCurves = (data: Data) => data.arrangements.some((a) => a.analysis.curves.window);

/**
 * Similarity of each checkpoint interval on its own (the rows trained between two checkpoints) to the
 * test set: the same measures, what the model sees at that moment rather than in all so far.
 */
export function windowCurvesSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  if (!hasWindowCurves(data)) return undefined;
  const values: Row[] = [];
  for (const a of data.arrangements) {
    const w = a.analysis.curves.window;
    if (!w) continue;
    const c = a.analysis.checkpoints;
    const curves: [StepMeasure, number[]][] = [
      ...CURVE_NAMES.map((m) => [m, w.overall[m]] as [StepMeasure, number[]]),
      ["wsd", w.wsd],
    ];
    for (const [m, curve] of curves)
      c.steps.forEach((step, i) => {
        const v = curve[i];
        if (typeof v === "number" && Number.isFinite(v) && stepShown(step, o))
          values.push({ kind: "curve", series: a.label, panel: m, step, examples: c.examples[i]!, value: v });
      });
  }
  return stepPanelsSpec({
    data,
    options: o,
    title:
      "Similarity of each checkpoint interval on its own (the rows trained since the previous checkpoint)",
    values,
    rules: roundRuleRows(data, o),
    panels: measurePanels(o, [...STEP_MEASURES]),
    height: o.width === undefined ? 140 : 90,
    pointsUpTo: 60,
    seriesTitle: "arrangement",
    panelTitle: "measure",
    domain: data.arrangements.map((a) => a.label),
  });
}
