import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions } from "../types.js";
import {
  type Data,
  LOWER_MORE_SIMILAR,
  layout,
  legendFor,
  MEASURE_TITLES,
  type Row,
  STEP_MEASURES,
  type StepMeasure,
  stepAxis,
  stepShown,
} from "./shared.js";
import { colorScale, SCHEMA, seriesDomain } from "./theme.js";

/** Round starts of each arrangement as rule rows (the first row's round is no boundary). */
export function roundRuleRows(data: Data, o: ChartOptions): Row[] {
  const rows: Row[] = [];
  for (const a of data.arrangements)
    for (const s of a.analysis.tma?.starts ?? [])
      if (s.position > 0 && stepShown(s.step, o))
        rows.push({
          kind: "round start",
          series: a.label,
          step: s.step,
          round: s.round,
          position: s.position,
        });
  return rows;
}

export interface Panel {
  name: string;
  title: string;
  yTitle: string;
}

/**
 * Line panels of `value` over the optimizer step (one per `panels`, three to a row, own y scale each,
 * the same step axis), colour = series, TMA round starts as dashed rules of the series' colour.
 */
export function stepPanelsSpec(o: {
  data: Data;
  options: ChartOptions;
  title: string;
  values: Row[];
  rules: Row[];
  panels: Panel[];
  height: number;
  pointsUpTo: number;
  seriesTitle: string;
  panelTitle: string;
  domain?: string[];
}): TopLevelSpec {
  const domain = o.domain ?? seriesDomain(o.data);
  const l = layout(o.options, o.panels.length);
  // Only what is drawn: the CSV beside an image holds exactly the plotted rows.
  const drawn = new Set(o.panels.map((p) => p.name));
  o = { ...o, values: o.values.filter((v) => drawn.has(String(v.panel))) };
  const perSeries = new Map<string, number>();
  for (const v of o.values)
    perSeries.set(`${v.series}\u0000${v.panel}`, (perSeries.get(`${v.series}\u0000${v.panel}`) ?? 0) + 1);
  const points = Math.max(0, ...perSeries.values()) <= o.pointsUpTo;
  const color = {
    field: "series",
    type: "nominal" as const,
    title: o.seriesTitle,
    scale: colorScale(domain),
    legend: legendFor(domain.length, o.options),
  };
  const x = stepAxis([...o.values, ...o.rules], o.options);
  return {
    $schema: SCHEMA,
    title: o.title,
    data: { values: [...o.values, ...o.rules] },
    columns: l.columns,
    concat: o.panels.map((p) => ({
      title: { text: p.title, limit: l.width + 40, fontSize: o.options.width === undefined ? 12 : 8 },
      width: l.width,
      height: o.height,
      layer: [
        {
          transform: [{ filter: { field: "panel", equal: p.name } }],
          mark: {
            type: "line" as const,
            point: points,
            strokeWidth: o.options.width === undefined ? 1.8 : 1.2,
            clip: true,
          },
          encoding: {
            x,
            y: { field: "value", type: "quantitative" as const, title: p.yTitle, scale: { zero: false } },
            color,
            tooltip: [
              { field: "series", type: "nominal" as const, title: o.seriesTitle },
              { field: "panel", type: "nominal" as const, title: o.panelTitle },
              { field: "step", type: "quantitative" as const },
              { field: "examples", type: "quantitative" as const, title: "examples seen" },
              { field: "value", type: "quantitative" as const, format: ".5g" },
            ],
          },
        },
        ...(o.rules.length > 0
          ? [
              {
                transform: [{ filter: { field: "kind", equal: "round start" } }],
                mark: { type: "rule" as const, strokeDash: [3, 3], strokeWidth: 1, opacity: 0.7 },
                encoding: {
                  x: { field: "step", type: "quantitative" as const },
                  color,
                  tooltip: [
                    { field: "series", type: "nominal" as const, title: "arrangement" },
                    { field: "round", type: "quantitative" as const, title: "TMA round starts" },
                    { field: "step", type: "quantitative" as const },
                  ],
                },
              },
            ]
          : []),
      ],
    })),
    resolve: { scale: { y: "independent", x: "shared", color: "shared" } },
    config: l.config,
  } as TopLevelSpec;
}

export function measurePanels(o: ChartOptions, available: StepMeasure[]): Panel[] {
  const wanted = o.measures ?? [...STEP_MEASURES];
  return available
    .filter((m) => wanted.includes(m))
    .map((m) => ({ name: m, title: MEASURE_TITLES[m], yTitle: LOWER_MORE_SIMILAR }));
}
