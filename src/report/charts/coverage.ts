import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions } from "../types.js";
import { chartOptions, type Data, FIGURE_CONFIG, type Row } from "./shared.js";
import { CONFIG, SCHEMA } from "./theme.js";
import { ROW_HEADER, SET_COLOR, setWidth, trainingSets } from "./training-sets.js";

/** The nearest-neighbour similarities of a set's test rows and where the threshold falls. */
export function coverageExtent(data: Data): { lo: number; hi: number; thresholdShown: boolean } {
  const sims = data.arrangements.flatMap((a) =>
    a.analysis.coverage.rows
      .map((r) => r.nearest[0]?.similarity)
      .filter((s): s is number => typeof s === "number"),
  );
  const lo = sims.length > 0 ? Math.min(...sims) : 0;
  const hi = sims.length > 0 ? Math.max(...sims) : 1;
  const threshold = data.arrangements[0]?.analysis.coverage.threshold ?? 1;
  const pad = Math.max(0.05, 0.25 * (hi - lo));
  return { lo, hi, thresholdShown: threshold >= lo - pad && threshold <= hi + pad };
}

/**
 * How close each test row's nearest training row is: a histogram per training set on an axis fitted to
 * the values, with the contamination threshold as a dashed line when it falls near them.
 */
export function coverageSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec {
  const o = chartOptions(options);
  const values: Row[] = [];
  const panels: string[] = [];
  for (const s of trainingSets(data.arrangements)) {
    const c = s.members[0]!.analysis.coverage;
    const panel = `${s.label} (${c.flagged} of ${c.rows.length} test rows at ≥ ${c.threshold})`;
    panels.push(panel);
    for (const r of c.rows) {
      const sim = r.nearest[0]?.similarity;
      if (typeof sim === "number")
        values.push({ series: s.label, panel, similarity: sim, threshold: c.threshold });
    }
  }
  const { lo, hi, thresholdShown } = coverageExtent(data);
  const threshold = data.arrangements[0]?.analysis.coverage.threshold ?? 1;
  const extent: [number, number] = thresholdShown
    ? [Math.min(lo, threshold), Math.max(hi, threshold)]
    : [lo, hi > lo ? hi : lo + 1e-6];
  return {
    $schema: SCHEMA,
    title: "Cosine similarity of each test row to its nearest training row",
    data: { values },
    facet: { row: { field: "panel", type: "nominal", title: null, sort: panels, header: ROW_HEADER } },
    spec: {
      width: setWidth(o),
      height: o.width === undefined ? 110 : 80,
      layer: [
        {
          mark: { type: "bar", color: SET_COLOR },
          encoding: {
            x: {
              field: "similarity",
              type: "quantitative",
              bin: { maxbins: 40, extent },
              title: "nearest-neighbour cosine similarity (higher = more similar)",
              scale: { zero: false },
            },
            y: { aggregate: "count", type: "quantitative", title: "test rows" },
          },
        },
        ...(thresholdShown
          ? [
              {
                transform: [{ aggregate: [{ op: "max" as const, field: "threshold", as: "threshold" }] }],
                mark: { type: "rule" as const, color: "#d62728", strokeDash: [4, 3] },
                encoding: { x: { field: "threshold", type: "quantitative" as const } },
              },
            ]
          : []),
      ],
    },
    config: o.width === undefined ? CONFIG : FIGURE_CONFIG,
  } as TopLevelSpec;
}
