import type { TopLevelSpec } from "vega-lite";
import { CURVE_NAMES } from "../analyze/types.js";
import { REPORT_DEFAULTS } from "./defaults.js";
import type { ChartOptions, ReportArrangement, ReportChart, ReportData, ReportDiversity } from "./types.js";

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
  return stepLinesSpec({
    data,
    title:
      data.runs.length > 0
        ? "Loss during training and similarity of the training prefix to the test set, per step"
        : "Similarity of the training prefix to the test set, per checkpoint",
    values,
    panels,
    height: 140,
    pointsUpTo: 60,
    strokeWidth: 1.8,
    yTitle: null,
    seriesTitle: "arrangement / run",
    panelTitle: "measure",
  });
}

/**
 * Line panels of `value` over the optimizer step, three to a row, each panel with its own y scale (the
 * curves chart and the per-task curves chart). Points are drawn while there are at most `pointsUpTo`
 * checkpoints.
 */
function stepLinesSpec(o: {
  data: Pick<ReportData, "arrangements" | "runs">;
  title: string;
  values: Record<string, string | number>[];
  panels: string[];
  height: number;
  pointsUpTo: number;
  strokeWidth: number;
  /** The y axis title, also the value's tooltip title (null: none). */
  yTitle: string | null;
  seriesTitle: string;
  panelTitle: string;
}): TopLevelSpec {
  const checkpoints = Math.max(0, ...o.data.arrangements.map((a) => a.analysis.checkpoints.steps.length));
  return {
    $schema: SCHEMA,
    title: o.title,
    data: { values: o.values },
    facet: { field: "panel", type: "nominal", sort: o.panels, title: null },
    columns: 3,
    spec: {
      width: 220,
      height: o.height,
      mark: { type: "line", point: checkpoints <= o.pointsUpTo, strokeWidth: o.strokeWidth },
      encoding: {
        x: { field: "step", type: "quantitative", title: "optimizer step", scale: { zero: true } },
        y: { field: "value", type: "quantitative", title: o.yTitle, scale: { zero: false } },
        color: {
          field: "series",
          type: "nominal",
          title: o.seriesTitle,
          scale: colorScale(seriesDomain(o.data)),
        },
        tooltip: [
          { field: "series", type: "nominal", title: o.seriesTitle },
          { field: "panel", type: "nominal", title: o.panelTitle },
          { field: "step", type: "quantitative" },
          { field: "examples", type: "quantitative", title: "examples seen" },
          {
            field: "value",
            type: "quantitative",
            ...(o.yTitle === null ? {} : { title: o.yTitle }),
            format: ".5g",
          },
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

/** The test tasks the per-task curves chart draws, and how many the analyses have in all. */
export interface TaskPanels {
  /** Tasks drawn, in the analyses' order (the first analysis' tasks first). */
  tasks: string[];
  /** Test rows of each drawn task (the most any analysis has). */
  rows: Record<string, number>;
  /** Test tasks with per-task curves in any analysis. */
  total: number;
}

/**
 * Which tasks get a per-task curves panel: all when they fit in `max`, else the `max` with the most test
 * rows (ties: the earlier task), drawn in the analyses' order.
 */
export function taskPanels(arrangements: ReportArrangement[], max: number): TaskPanels {
  const order: string[] = [];
  const rows = new Map<string, number>();
  for (const a of arrangements)
    for (const task of Object.keys(a.analysis.curves.perTask)) {
      if (!rows.has(task)) order.push(task);
      const n = a.analysis.coverage.perTask?.[task]?.rows ?? 0;
      rows.set(task, Math.max(rows.get(task) ?? 0, n));
    }
  const rank = new Map(order.map((t, i) => [t, i]));
  const chosen = new Set(
    [...order]
      .sort((x, y) => rows.get(y)! - rows.get(x)! || rank.get(x)! - rank.get(y)!)
      .slice(0, Math.max(0, max)),
  );
  const tasks = order.filter((t) => chosen.has(t));
  return { tasks, rows: Object.fromEntries(tasks.map((t) => [t, rows.get(t)!])), total: order.length };
}

/** Checkpoints drawn per per-task curve at most: a panel is 220 px wide, so more would only add bytes. */
export const MAX_TASK_CURVE_POINTS = 110;

/** Every how many checkpoints a per-task curve is drawn (1 = all); the last checkpoint is always drawn. */
export function taskCurveStride(checkpoints: number): number {
  return Math.max(1, Math.ceil(checkpoints / MAX_TASK_CURVE_POINTS));
}

/** Per-task panel title: the task and its test rows. */
export const taskPanelTitle = (task: string, rows: number) =>
  `${task} (${rows} test row${rows === 1 ? "" : "s"})`;

/**
 * One similarity measure per test task: the distance of the training prefix to that task's test rows at
 * each checkpoint, one panel per task (at most `maxTaskPanels`), colour = arrangement. Undefined when no
 * analysis has per-task curves.
 */
export function taskCurvesSpec(
  data: Pick<ReportData, "arrangements" | "runs">,
  options: ChartOptions,
): TopLevelSpec | undefined {
  const measure = options.taskMeasure;
  const { tasks, rows } = taskPanels(data.arrangements, options.maxTaskPanels);
  if (tasks.length === 0) return undefined;
  const values: Record<string, string | number>[] = [];
  const panels = tasks.map((t) => taskPanelTitle(t, rows[t]!));
  for (const a of data.arrangements) {
    const c = a.analysis.checkpoints;
    const stride = taskCurveStride(c.steps.length);
    tasks.forEach((task, k) => {
      const curve = a.analysis.curves.perTask[task]?.[measure];
      if (!Array.isArray(curve)) return;
      c.steps.forEach((step, i) => {
        if (i % stride !== 0 && i !== c.steps.length - 1) return;
        const v = curve[i];
        if (typeof v === "number" && Number.isFinite(v))
          values.push({ series: a.label, panel: panels[k]!, step, examples: c.examples[i]!, value: v });
      });
    });
  }
  if (values.length === 0) return undefined;
  return stepLinesSpec({
    data,
    title: `${measure} of the training prefix to each test task's rows, per checkpoint`,
    values,
    panels,
    height: 120,
    pointsUpTo: 40,
    strokeWidth: 1.6,
    yTitle: measure,
    seriesTitle: "arrangement",
    panelTitle: "test task",
  });
}

/** Per-task measures of the diversity chart, in panel order. */
export const DIVERSITY_TASK_MEASURES = ["Vendi score", "normalized cluster entropy"] as const;

/** Tasks above this many are drawn without their names on the axis (the tooltips keep them). */
export const MAX_LABELLED_TASKS = 80;

/** The union of the diversity reports' tasks, by their mean Vendi score over the reports, highest first. */
export function diversityTaskOrder(diversity: ReportDiversity[]): string[] {
  const sum = new Map<string, { total: number; n: number; first: number }>();
  let seen = 0;
  for (const d of diversity)
    for (const [task, t] of Object.entries(d.report.perTask)) {
      const s = sum.get(task) ?? { total: 0, n: 0, first: seen++ };
      s.total += t.vendi;
      s.n += 1;
      sum.set(task, s);
    }
  const mean = (t: string) => sum.get(t)!.total / sum.get(t)!.n;
  return [...sum.keys()].sort((x, y) => mean(y) - mean(x) || sum.get(x)!.first - sum.get(y)!.first);
}

/**
 * Per-task Vendi score and normalized cluster entropy, horizontal bars sorted by Vendi score (highest
 * first); several reports side by side within each task (colour = dataset). Undefined without tasks.
 */
export function diversityTasksSpec(diversity: ReportDiversity[]): TopLevelSpec | undefined {
  const tasks = diversityTaskOrder(diversity);
  if (tasks.length === 0) return undefined;
  const labels = diversity.map((d) => d.label);
  const values: Record<string, string | number | null>[] = [];
  for (const d of diversity)
    for (const [task, t] of Object.entries(d.report.perTask)) {
      const common = {
        dataset: d.label,
        task,
        rows: t.rows,
        clustersUsed: t.clusters.used,
        meanDistance: t.meanPairwiseCosineDistance,
      };
      values.push({ ...common, measure: DIVERSITY_TASK_MEASURES[0], value: t.vendi });
      values.push({ ...common, measure: DIVERSITY_TASK_MEASURES[1], value: t.clusters.normalizedEntropy });
    }
  const several = diversity.length > 1;
  const labelled = tasks.length <= MAX_LABELLED_TASKS;
  const step = labelled
    ? several
      ? Math.max(14, 7 * diversity.length + 3)
      : 14
    : Math.max(3, 2 * diversity.length);
  return {
    $schema: SCHEMA,
    title: `Diversity per task (${tasks.length} task${tasks.length === 1 ? "" : "s"}, by Vendi score)`,
    data: { values },
    facet: {
      column: { field: "measure", type: "nominal", title: null, sort: [...DIVERSITY_TASK_MEASURES] },
    },
    spec: {
      width: 300,
      height: { step },
      mark: { type: "bar" },
      encoding: {
        y: {
          field: "task",
          type: "nominal",
          sort: tasks,
          title: labelled ? "task" : "task (names in the tooltips)",
          axis: labelled ? { labelLimit: 220 } : { labels: false, ticks: false },
        },
        x: { field: "value", type: "quantitative", title: null },
        ...(several ? { yOffset: { field: "dataset", type: "nominal" as const, sort: labels } } : {}),
        color: {
          field: "dataset",
          type: "nominal",
          title: "dataset",
          scale: colorScale(labels),
          legend: several ? {} : null,
        },
        tooltip: [
          { field: "dataset", type: "nominal" },
          { field: "task", type: "nominal" },
          { field: "measure", type: "nominal" },
          { field: "value", type: "quantitative", format: ".4g" },
          { field: "rows", type: "quantitative" },
          { field: "clustersUsed", type: "quantitative", title: "clusters used" },
          {
            field: "meanDistance",
            type: "quantitative",
            title: "mean pairwise cosine distance",
            format: ".4g",
          },
        ],
      },
    },
    resolve: { scale: { x: "independent" } },
    config: CONFIG,
  };
}

/** Panel title of one report's cluster-size distribution. */
export function clusterPanelTitle(d: ReportDiversity): string {
  const c = d.report.overall.clusters;
  return `${d.label} (k = ${c.k}, ${c.used} used, effective ${c.effective.toFixed(1)}, normalized entropy ${c.normalizedEntropy.toFixed(3)})`;
}

/**
 * Cluster sizes of each report's k-means clustering, largest first, as shares of the rows, with the even
 * share 1/k as a dashed line; one row per report. Undefined when no report lists its cluster sizes.
 */
export function diversityClustersSpec(diversity: ReportDiversity[]): TopLevelSpec | undefined {
  const values: Record<string, string | number>[] = [];
  const panels: string[] = [];
  for (const d of diversity) {
    const sizes = d.report.overall.clusters.sizes;
    if (!Array.isArray(sizes) || sizes.length === 0) continue;
    const total = sizes.reduce((s, x) => s + x, 0);
    if (!(total > 0)) continue;
    const panel = clusterPanelTitle(d);
    panels.push(panel);
    const even = 1 / sizes.length;
    [...sizes]
      .sort((x, y) => y - x)
      .forEach((size, i) => {
        values.push({
          dataset: d.label,
          panel,
          rank: i + 1,
          lo: i + 0.55,
          hi: i + 1.45,
          size,
          share: Number((size / total).toPrecision(6)),
          even,
        });
      });
  }
  if (values.length === 0) return undefined;
  return {
    $schema: SCHEMA,
    title: "Cluster sizes (k-means over the whole dataset), largest first",
    data: { values },
    facet: { row: { field: "panel", type: "nominal", title: null, sort: panels, header: ROW_HEADER } },
    spec: {
      width: 520,
      height: 110,
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x: { field: "lo", type: "quantitative", title: "cluster, by size", scale: { zero: false } },
            x2: { field: "hi" },
            y: { field: "share", type: "quantitative", title: "share of rows", axis: { format: ".1%" } },
            y2: { datum: 0 },
            color: {
              field: "dataset",
              type: "nominal",
              title: "dataset",
              scale: colorScale(diversity.map((d) => d.label)),
              legend: diversity.length > 1 ? {} : null,
            },
            tooltip: [
              { field: "dataset", type: "nominal" },
              { field: "rank", type: "quantitative", title: "cluster rank by size" },
              { field: "size", type: "quantitative", title: "rows" },
              { field: "share", type: "quantitative", title: "share", format: ".2%" },
            ],
          },
        },
        {
          transform: [{ aggregate: [{ op: "max", field: "even", as: "even" }] }],
          mark: { type: "rule", color: "#333", strokeDash: [4, 3] },
          encoding: { y: { field: "even", type: "quantitative" } },
        },
      ],
    },
    config: CONFIG,
  };
}

/** Overall measures compared across diversity reports, in panel order. */
export const DIVERSITY_OVERALL_MEASURES = [
  "Vendi score",
  "effective clusters",
  "clusters used",
  "normalized cluster entropy",
  "mean pairwise cosine distance",
] as const;

/** The overall figures of several diversity reports side by side; undefined for fewer than two. */
export function diversityCompareSpec(diversity: ReportDiversity[]): TopLevelSpec | undefined {
  if (diversity.length < 2) return undefined;
  const labels = diversity.map((d) => d.label);
  const values: Record<string, string | number>[] = [];
  for (const d of diversity) {
    const o = d.report.overall;
    const figures: [string, number | null][] = [
      ["Vendi score", o.vendi],
      ["effective clusters", o.clusters.effective],
      ["clusters used", o.clusters.used],
      ["normalized cluster entropy", o.clusters.normalizedEntropy],
      ["mean pairwise cosine distance", o.meanPairwiseCosineDistance],
    ];
    for (const [measure, value] of figures)
      if (typeof value === "number")
        values.push({ dataset: d.label, measure, value, rows: d.report.input.rows, k: o.clusters.k });
  }
  return {
    $schema: SCHEMA,
    title: "Diversity of each dataset, overall",
    data: { values },
    facet: {
      column: {
        field: "measure",
        type: "nominal",
        title: null,
        sort: [...DIVERSITY_OVERALL_MEASURES],
        header: { labelFontWeight: "bold" as const },
      },
    },
    spec: {
      width: Math.max(150, 30 * labels.length),
      height: 160,
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "dataset",
          type: "nominal",
          sort: labels,
          title: null,
          axis: { labelAngle: -40, labelLimit: 120 },
        },
        y: { field: "value", type: "quantitative", title: null },
        color: { field: "dataset", type: "nominal", title: "dataset", scale: colorScale(labels) },
        tooltip: [
          { field: "dataset", type: "nominal" },
          { field: "measure", type: "nominal" },
          { field: "value", type: "quantitative", format: ".4g" },
          { field: "rows", type: "quantitative" },
          { field: "k", type: "quantitative", title: "k (clusters asked)" },
        ],
      },
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  };
}

/** Analysis charts and diversity charts, in page order: see `reportCharts`. */
export type ChartData = Pick<ReportData, "arrangements" | "runs"> & Partial<Pick<ReportData, "diversity">>;

/**
 * Every chart of a report, in page order: the analyses' (rounds only when some analysis has TMA rounds,
 * task curves only when they have per-task curves), then the diversity reports' (comparison only for two
 * or more, cluster sizes only when listed).
 */
export function reportCharts(data: ChartData, options: Partial<ChartOptions> = {}): ReportChart[] {
  const o: ChartOptions = {
    taskMeasure: options.taskMeasure ?? REPORT_DEFAULTS.taskMeasure,
    maxTaskPanels: options.maxTaskPanels ?? REPORT_DEFAULTS.maxTaskPanels,
  };
  return [...analysisCharts(data, o), ...diversityCharts(data.diversity ?? [])];
}

function analysisCharts(data: ChartData, options: ChartOptions): ReportChart[] {
  if (data.arrangements.length === 0) return [];
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
  ];
  const taskCurves = taskCurvesSpec(data, options);
  if (taskCurves) {
    const { tasks, total } = taskPanels(data.arrangements, options.maxTaskPanels);
    const stride = taskCurveStride(
      Math.max(...data.arrangements.map((a) => a.analysis.checkpoints.steps.length)),
    );
    charts.push({
      name: "task-curves",
      title: `Similarity curves per test task (${options.taskMeasure})`,
      caption:
        `${options.taskMeasure} between the training prefix at each checkpoint and one test task's rows, one panel per task` +
        (several ? ", one colour per arrangement" : "") +
        (tasks.length < total
          ? `. ${tasks.length} of ${total} test tasks shown (those with the most test rows); --max-task-panels ${total} shows all.`
          : `; all ${total} test tasks.`) +
        (stride > 1
          ? ` One checkpoint in ${stride} (and the last) is drawn: ${MAX_TASK_CURVE_POINTS} points at most per curve.`
          : "") +
        " --task-measure picks another measure.",
      spec: taskCurves,
    });
  }
  charts.push({
    name: "wsd",
    title: "WSD distribution",
    caption:
      "Histogram of WSD_i = AD_i + w·MD_i over the training rows (AD = mean, MD = minimum cosine distance to the test set).",
    spec: wsdSpec(data),
  });
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

function diversityCharts(diversity: ReportDiversity[]): ReportChart[] {
  const charts: ReportChart[] = [];
  const compare = diversityCompareSpec(diversity);
  if (compare)
    charts.push({
      name: "diversity-overall",
      title: "Diversity of the datasets compared",
      caption:
        "Overall figures of each diversity report side by side: Vendi score (effective number of distinct rows), " +
        "effective and used k-means clusters, normalized entropy of the cluster sizes (1 = even) and mean pairwise cosine distance.",
      spec: compare,
    });
  const tasks = diversityTasksSpec(diversity);
  if (tasks) {
    const n = diversityTaskOrder(diversity).length;
    charts.push({
      name: "diversity-tasks",
      title: "Diversity per task",
      caption:
        "Vendi score and normalized entropy of each task's spread over the dataset's clusters, tasks sorted by Vendi score (highest first" +
        (diversity.length > 1 ? ", mean over the datasets); one bar per dataset" : ")") +
        (n > MAX_LABELLED_TASKS ? `; ${n} tasks, so their names are in the tooltips only.` : "."),
      spec: tasks,
    });
  }
  const clusters = diversityClustersSpec(diversity);
  if (clusters)
    charts.push({
      name: "diversity-clusters",
      title: "Cluster sizes",
      caption:
        "Share of the rows in each k-means cluster, largest first; the dashed line is the even share 1/k. A long flat run means the rows spread evenly.",
      spec: clusters,
    });
  return charts;
}
