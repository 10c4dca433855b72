import type { TopLevelSpec } from "vega-lite";
import { CURVE_NAMES } from "../../analyze/types.js";
import type { ChartOptions } from "../types.js";
import {
  chartOptions,
  type Data,
  LOWER_BETTER,
  type Row,
  STEP_MEASURES,
  type StepMeasure,
  stepShown,
} from "./shared.js";
import { measurePanels, type Panel, roundRuleRows, stepPanelsSpec } from "./step-panels.js";
import { LOSS_PANELS } from "./theme.js";

/**
 * Similarity of every arrangement's training prefix at each checkpoint, one panel per measure (the
 * nine curves and the mean WSD of the prefix), colour = arrangement; runs' loss in panels before them.
 */
export function curvesSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec {
  const o = chartOptions(options);
  const values: Row[] = [];
  let hasWsd = false;
  for (const a of data.arrangements) {
    const c = a.analysis.checkpoints;
    const curves: [StepMeasure, number[] | undefined][] = [
      ...CURVE_NAMES.map((m) => [m, a.analysis.curves.overall[m]] as [StepMeasure, number[]]),
      ["wsd", a.analysis.curves.wsd],
    ];
    for (const [m, curve] of curves) {
      if (!Array.isArray(curve)) continue;
      if (m === "wsd") hasWsd = true;
      c.steps.forEach((step, i) => {
        const v = curve[i];
        if (typeof v === "number" && Number.isFinite(v) && stepShown(step, o))
          values.push({ kind: "curve", series: a.label, panel: m, step, examples: c.examples[i]!, value: v });
      });
    }
  }
  const lossPanels = new Set<string>();
  for (const r of data.runs)
    for (const p of r.curves.points) {
      if (!stepShown(p.step, o)) continue;
      for (const [panel, value] of [
        ["test loss", p.test?.loss],
        ["train loss", p.trainLoss],
      ] as const)
        if (typeof value === "number") {
          values.push({ kind: "curve", series: r.label, panel, step: p.step, examples: p.examples, value });
          lossPanels.add(panel);
        }
    }
  const panels: Panel[] = [
    ...LOSS_PANELS.filter((p) => lossPanels.has(p)).map((p) => ({ name: p, title: p, yTitle: LOWER_BETTER })),
    ...measurePanels(
      o,
      STEP_MEASURES.filter((m) => m !== "wsd" || hasWsd),
    ),
  ];
  return stepPanelsSpec({
    data,
    options: o,
    title:
      data.runs.length > 0
        ? "Loss during training and similarity of the training prefix to the test set"
        : "Similarity of the training prefix (all rows seen so far) to the test set",
    values,
    rules: roundRuleRows(data, o),
    panels,
    height: o.width === undefined ? 140 : 90,
    pointsUpTo: 60,
    seriesTitle: "arrangement / run",
    panelTitle: "measure",
  });
}
