import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions } from "../types.js";
import { chartOptions, type Data, FIGURE_CONFIG, LOWER_MORE_SIMILAR, type Row } from "./shared.js";
import { CONFIG, SCHEMA } from "./theme.js";
import { ROW_HEADER, SET_COLOR, setWidth, trainingSets } from "./training-sets.js";

/** TMA round sizes (bars) and mean TMA distance (line) per round, once per training set with rounds. */
export function roundsSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  const values: Row[] = [];
  const panels: string[] = [];
  for (const s of trainingSets(data.arrangements)) {
    const a = s.members.find((m) => m.analysis.tma);
    const t = a?.analysis.tma;
    if (!t) continue;
    const label = s.members.length > 1 ? s.label : a!.label;
    panels.push(label);
    t.rounds.forEach((round, i) => {
      values.push({
        series: label,
        round,
        lo: round - 0.45,
        hi: round + 0.45,
        size: t.roundSizes[i]!,
        meanDistance: t.roundMeanDistance[i]!,
      });
    });
  }
  if (values.length === 0) return undefined;
  return {
    $schema: SCHEMA,
    title: "TMA rounds: rows taken per round (bars) and their mean distance to the test set (line)",
    data: { values },
    facet: { row: { field: "series", type: "nominal", title: null, sort: panels, header: ROW_HEADER } },
    spec: {
      width: setWidth(o),
      height: o.width === undefined ? 120 : 80,
      layer: [
        {
          mark: { type: "bar", color: SET_COLOR },
          encoding: {
            x: { field: "lo", type: "quantitative", title: "TMA round" },
            x2: { field: "hi" },
            y: { field: "size", type: "quantitative", title: "rows in round" },
            y2: { datum: 0 },
            tooltip: [
              { field: "round", type: "quantitative" },
              { field: "size", type: "quantitative", title: "rows" },
              { field: "meanDistance", type: "quantitative", title: "mean distance", format: ".4g" },
            ],
          },
        },
        {
          mark: { type: "line", color: "#333", strokeWidth: 1.5, point: { color: "#333", size: 12 } },
          encoding: {
            x: { field: "round", type: "quantitative" },
            y: {
              field: "meanDistance",
              type: "quantitative",
              title: `mean TMA distance (${LOWER_MORE_SIMILAR})`,
              scale: { zero: false },
              axis: { orient: "right" },
            },
          },
        },
      ],
      resolve: { scale: { y: "independent" } },
    },
    // Needed at both levels: with it only inside the layer, vega cannot find the layer's scales.
    resolve: { scale: { y: "independent" } },
    config: o.width === undefined ? CONFIG : FIGURE_CONFIG,
  };
}
