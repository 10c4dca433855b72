import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions } from "../types.js";
import { chartOptions, type Data, FIGURE_CONFIG, LOWER_MORE_SIMILAR, type Row } from "./shared.js";
import { CONFIG, SCHEMA } from "./theme.js";
import { ROW_HEADER, SET_COLOR, setWidth, trainingSets } from "./training-sets.js";

/** The WSD histogram of each training set's rows, one row per training set. */
export function wsdSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec {
  const o = chartOptions(options);
  const values: Row[] = [];
  const panels: string[] = [];
  for (const s of trainingSets(data.arrangements)) {
    const a = s.members[0]!;
    const h = a.analysis.wsd.histogram;
    const panel = `${s.label} (w = ${a.analysis.wsd.weight.toPrecision(4)}, mean ${h.mean.toPrecision(4)})`;
    panels.push(panel);
    h.counts.forEach((count, i) => {
      values.push({
        series: s.label,
        panel,
        start: h.min + i * h.binWidth,
        end: h.min + (i + 1) * h.binWidth,
        count,
      });
    });
  }
  return {
    $schema: SCHEMA,
    title: "Distribution of the Weighted Similarity Distance of the training rows",
    data: { values },
    width: setWidth(o),
    height: o.width === undefined ? 120 : 80,
    mark: { type: "bar", binSpacing: 0, color: SET_COLOR },
    encoding: {
      row: { field: "panel", type: "nominal", title: null, sort: panels, header: ROW_HEADER },
      x: {
        field: "start",
        type: "quantitative",
        title: `WSD = AD + w·MD (${LOWER_MORE_SIMILAR})`,
        scale: { zero: false, nice: false },
      },
      x2: { field: "end" },
      y: { field: "count", type: "quantitative", title: "training rows" },
      y2: { datum: 0 },
      tooltip: [
        { field: "series", type: "nominal", title: "training set" },
        { field: "start", type: "quantitative", title: "from", format: ".4g" },
        { field: "end", type: "quantitative", title: "to", format: ".4g" },
        { field: "count", type: "quantitative", title: "rows" },
      ],
    },
    config: o.width === undefined ? CONFIG : FIGURE_CONFIG,
  };
}
