import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions } from "../types.js";
import { hasComposition } from "./composition.js";
import { chartOptions, type Data, type Row, stepShown } from "./shared.js";
import { roundRuleRows, stepPanelsSpec } from "./step-panels.js";

/** Distinct training tasks per optimizer batch, averaged over each checkpoint interval, per arrangement. */
export function batchTasksSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  if (!hasComposition(data)) return undefined;
  const values: Row[] = [];
  for (const a of data.arrangements) {
    const c = a.analysis.composition;
    if (!c) continue;
    a.analysis.checkpoints.steps.forEach((step, i) => {
      const v = c.distinctPerBatch[i];
      if (typeof v === "number" && stepShown(step, o))
        values.push({
          kind: "curve",
          series: a.label,
          panel: "tasks per batch",
          step,
          examples: a.analysis.checkpoints.examples[i]!,
          value: v,
        });
    });
  }
  const bs = data.arrangements[0]?.analysis.checkpoints.batchSize ?? 0;
  return stepPanelsSpec({
    data,
    options: { ...o, width: o.width },
    title: `Distinct training tasks per batch of ${bs} rows`,
    values,
    rules: roundRuleRows(data, o),
    panels: [
      { name: "tasks per batch", title: "tasks per batch", yTitle: "distinct tasks (higher = more mixed)" },
    ],
    height: o.width === undefined ? 160 : 90,
    pointsUpTo: 60,
    seriesTitle: "arrangement",
    panelTitle: "measure",
    domain: data.arrangements.map((a) => a.label),
  });
}
