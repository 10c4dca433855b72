import type { TopLevelSpec } from "vega-lite";
import { CURVE_NAMES } from "../analyze/types.js";
import type { ReportArrangement, ReportChart, ReportData } from "./types.js";

/** Panels of the curves chart that come from training runs, drawn before the similarity measures. */
export const LOSS_PANELS = ["test loss", "train loss"] as const;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** Tableau-10: one colour per arrangement or run, the same in every chart. */
const PALETTE = [
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

const CONFIG = {
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

function colorScale(domain: string[]) {
  return { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) };
}

/** Row-facet labels read left to right above each panel, not rotated beside it. */
const ROW_HEADER = {
  labelAngle: 0,
  labelOrient: "top" as const,
  labelAnchor: "start" as const,
  labelFontWeight: "bold" as const,
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Similarity curves of every arrangement, one panel per measure, colour = arrangement; training loss
 * from runs in panels before them, on the same (shared) step axis.
 */
export function curvesSpec(data: Pick<ReportData, "arrangements" | "runs">): TopLevelSpec {
  const values: Record<string, string | number>[] = [];
  for (const a of data.arrangements) {
    const c = a.analysis.checkpoints;
    for (const m of CURVE_NAMES) {
      const curve = a.analysis.curves.overall[m];
      c.steps.forEach((step, i) => {
        const v = curve[i];
        if (typeof v === "number" && Number.isFinite(v))
          values.push({ series: a.label, panel: m, step, examples: c.examples[i]!, value: v });
      });
    }
  }
  const lossPanels = new Set<string>();
  for (const r of data.runs)
    for (const p of r.curves.points) {
      if (typeof p.test?.loss === "number") {
        values.push({
          series: r.label,
          panel: "test loss",
          step: p.step,
          examples: p.examples,
          value: p.test.loss,
        });
        lossPanels.add("test loss");
      }
      if (typeof p.trainLoss === "number") {
        values.push({
          series: r.label,
          panel: "train loss",
          step: p.step,
          examples: p.examples,
          value: p.trainLoss,
        });
        lossPanels.add("train loss");
      }
    }
  const panels = [...LOSS_PANELS.filter((p) => lossPanels.has(p)), ...CURVE_NAMES];
  const checkpoints = Math.max(0, ...data.arrangements.map((a) => a.analysis.checkpoints.steps.length));
  return {
    $schema: SCHEMA,
    title:
      data.runs.length > 0
        ? "Loss during training and similarity of the training prefix to the test set, per step"
        : "Similarity of the training prefix to the test set, per checkpoint",
    data: { values },
    facet: { field: "panel", type: "nominal", sort: panels, title: null },
    columns: 3,
    spec: {
      width: 220,
      height: 140,
      mark: { type: "line", point: checkpoints <= 60, strokeWidth: 1.8 },
      encoding: {
        x: { field: "step", type: "quantitative", title: "optimizer step", scale: { zero: true } },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        color: {
          field: "series",
          type: "nominal",
          title: "arrangement / run",
          scale: colorScale(seriesDomain(data)),
        },
        tooltip: [
          { field: "series", type: "nominal", title: "arrangement / run" },
          { field: "panel", type: "nominal", title: "measure" },
          { field: "step", type: "quantitative" },
          { field: "examples", type: "quantitative", title: "examples seen" },
          { field: "value", type: "quantitative", format: ".5g" },
        ],
      },
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  };
}

/** The WSD histogram of each arrangement's training set, one row per arrangement. */
export function wsdSpec(data: Pick<ReportData, "arrangements" | "runs">): TopLevelSpec {
  const values: Record<string, string | number>[] = [];
  const panels: string[] = [];
  for (const a of data.arrangements) {
    const h = a.analysis.wsd.histogram;
    const panel = `${a.label} (w = ${a.analysis.wsd.weight.toPrecision(4)}, mean ${h.mean.toPrecision(4)})`;
    panels.push(panel);
    h.counts.forEach((count, i) => {
      values.push({
        series: a.label,
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
    width: 520,
    height: 120,
    mark: { type: "bar", binSpacing: 0 },
    encoding: {
      row: { field: "panel", type: "nominal", title: null, sort: panels, header: ROW_HEADER },
      x: { field: "start", type: "quantitative", title: "WSD = AD + w·MD (lower = nearer the test set)" },
      x2: { field: "end" },
      y: { field: "count", type: "quantitative", title: "training rows" },
      y2: { datum: 0 },
      color: {
        field: "series",
        type: "nominal",
        title: "arrangement",
        scale: colorScale(seriesDomain(data)),
      },
      tooltip: [
        { field: "series", type: "nominal", title: "arrangement" },
        { field: "start", type: "quantitative", title: "from", format: ".4g" },
        { field: "end", type: "quantitative", title: "to", format: ".4g" },
        { field: "count", type: "quantitative", title: "rows" },
      ],
    },
    config: CONFIG,
  };
}

/** TMA round sizes (bars) and mean TMA distance (line) per round; undefined when no analysis has rounds. */
export function roundsSpec(data: Pick<ReportData, "arrangements" | "runs">): TopLevelSpec | undefined {
  const values: Record<string, string | number>[] = [];
  for (const a of data.arrangements) {
    const t = a.analysis.tma;
    if (!t) continue;
    t.rounds.forEach((round, i) => {
      values.push({
        series: a.label,
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
    facet: {
      row: {
        field: "series",
        type: "nominal",
        title: null,
        sort: data.arrangements.filter((a) => a.analysis.tma).map((a) => a.label),
        header: ROW_HEADER,
      },
    },
    spec: {
      width: 520,
      height: 120,
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x: { field: "lo", type: "quantitative", title: "TMA round" },
            x2: { field: "hi" },
            y: { field: "size", type: "quantitative", title: "rows in round" },
            y2: { datum: 0 },
            color: {
              field: "series",
              type: "nominal",
              title: "arrangement",
              scale: colorScale(seriesDomain(data)),
            },
            tooltip: [
              { field: "series", type: "nominal", title: "arrangement" },
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
              title: "mean TMA distance",
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
    config: CONFIG,
  };
}

/** Whether every arrangement's projected training points carry a TMA round. */
export function projectionUsesRounds(arrangements: ReportArrangement[]): boolean {
  return arrangements.every((a) =>
    a.analysis.projection.points.every((p) => p.set !== "train" || typeof p.round === "number"),
  );
}

/** PCA of training (colour = position or round) and test (crosses) embeddings, one panel per arrangement. */
export function projectionSpec(data: Pick<ReportData, "arrangements" | "runs">): TopLevelSpec {
  const byRound = projectionUsesRounds(data.arrangements);
  const values: Record<string, string | number>[] = [];
  const panels: string[] = [];
  for (const a of data.arrangements) {
    const p = a.analysis.projection;
    const [v1, v2] = p.explainedVariance;
    const panel = `${a.label} (PC1 ${pct(v1)}, PC2 ${pct(v2)} of the variance)`;
    panels.push(panel);
    for (const pt of p.points) {
      const row: Record<string, string | number> = {
        panel,
        set: pt.set,
        x: pt.x,
        y: pt.y,
        position: pt.position,
        task: pt.task,
      };
      if (pt.set === "train") row.order = byRound ? pt.round! : pt.position;
      if (typeof pt.round === "number") row.round = pt.round;
      values.push(row);
    }
  }
  const orderTitle = byRound ? "TMA round" : "training position";
  const shape = {
    field: "set",
    type: "nominal" as const,
    title: "set",
    scale: { domain: ["train", "test"], range: ["circle", "cross"] },
  };
  return {
    $schema: SCHEMA,
    title: "2-D projection (PCA) of training and test embeddings",
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: panels },
    columns: 2,
    spec: {
      width: 340,
      height: 300,
      layer: [
        {
          transform: [{ filter: "datum.set === 'train'" }],
          mark: { type: "point", filled: true, size: 14, opacity: 0.7 },
          encoding: {
            x: { field: "x", type: "quantitative", title: "PC1" },
            y: { field: "y", type: "quantitative", title: "PC2" },
            color: {
              field: "order",
              type: "quantitative",
              title: orderTitle,
              scale: { scheme: "viridis" },
            },
            shape,
            tooltip: [
              { field: "set", type: "nominal" },
              { field: "position", type: "quantitative", title: "training position" },
              { field: "task", type: "nominal" },
              ...(byRound ? [{ field: "round", type: "quantitative" as const, title: "TMA round" }] : []),
            ],
          },
        },
        {
          transform: [{ filter: "datum.set === 'test'" }],
          mark: { type: "point", size: 22, strokeWidth: 1, opacity: 0.8, color: "#d62728" },
          encoding: {
            x: { field: "x", type: "quantitative" },
            y: { field: "y", type: "quantitative" },
            shape,
            tooltip: [
              { field: "set", type: "nominal" },
              { field: "position", type: "quantitative", title: "test row" },
              { field: "task", type: "nominal" },
            ],
          },
        },
      ],
    },
    config: CONFIG,
  };
}

/** How close each test row's nearest training row is: a histogram per arrangement with the threshold. */
export function coverageSpec(data: Pick<ReportData, "arrangements" | "runs">): TopLevelSpec {
  const values: Record<string, string | number>[] = [];
  const panels: string[] = [];
  for (const a of data.arrangements) {
    const c = a.analysis.coverage;
    const panel = `${a.label} (${c.flagged} of ${c.rows.length} test rows flagged at ≥ ${c.threshold})`;
    panels.push(panel);
    for (const r of c.rows) {
      const s = r.nearest[0]?.similarity;
      if (typeof s === "number")
        values.push({ series: a.label, panel, similarity: s, threshold: c.threshold });
    }
  }
  return {
    $schema: SCHEMA,
    title: "Cosine similarity of each test row to its nearest training row",
    data: { values },
    facet: { row: { field: "panel", type: "nominal", title: null, sort: panels, header: ROW_HEADER } },
    spec: {
      width: 520,
      height: 110,
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x: {
              field: "similarity",
              type: "quantitative",
              bin: { maxbins: 40, extent: [-1, 1] },
              title: "nearest-neighbour cosine similarity",
            },
            y: { aggregate: "count", type: "quantitative", title: "test rows" },
            color: {
              field: "series",
              type: "nominal",
              title: "arrangement",
              scale: colorScale(seriesDomain(data)),
            },
          },
        },
        {
          transform: [{ aggregate: [{ op: "max", field: "threshold", as: "threshold" }] }],
          mark: { type: "rule", color: "#d62728", strokeDash: [4, 3] },
          encoding: { x: { field: "threshold", type: "quantitative" } },
        },
      ],
    },
    config: CONFIG,
  };
}

/** Every chart of a report, in page order; rounds only when some analysis has TMA rounds. */
export function reportCharts(data: Pick<ReportData, "arrangements" | "runs">): ReportChart[] {
  const several = data.arrangements.length > 1;
  const charts: ReportChart[] = [
    {
      name: "curves",
      title: data.runs.length > 0 ? "Loss and similarity curves" : "Similarity curves",
      caption:
        "Distance between the training prefix seen at each checkpoint and the whole test set (lower = more similar; " +
        "cosine distance is the negative cosine similarity), by measure" +
        (several ? ", one colour per arrangement" : "") +
        (data.runs.length > 0 ? "; training runs' loss in the first panels on the same step axis." : "."),
      spec: curvesSpec(data),
    },
    {
      name: "wsd",
      title: "WSD distribution",
      caption:
        "Histogram of WSD_i = AD_i + w·MD_i over the training rows (AD = mean, MD = minimum cosine distance to the test set).",
      spec: wsdSpec(data),
    },
  ];
  const rounds = roundsSpec(data);
  if (rounds)
    charts.push({
      name: "rounds",
      title: "TMA rounds",
      caption:
        "Rows taken in each Test-centric Multi-turn Arrangement round and the mean distance of those rows to the test point that took them.",
      spec: rounds,
    });
  charts.push(
    {
      name: "projection",
      title: "2-D projection",
      caption: `PCA of the sampled training rows (colour = ${projectionUsesRounds(data.arrangements) ? "TMA round" : "position in the training order"}) and all test rows (red crosses).`,
      spec: projectionSpec(data),
    },
    {
      name: "coverage",
      title: "Test coverage",
      caption:
        "For each test row, the cosine similarity of its nearest training row; the dashed line is the contamination threshold.",
      spec: coverageSpec(data),
    },
  );
  return charts;
}
