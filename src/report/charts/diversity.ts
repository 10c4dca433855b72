import type { TopLevelSpec } from "vega-lite";
import type { ReportChart, ReportDiversity } from "../types.js";
import { CONFIG, colorScale, SCHEMA } from "./theme.js";

/** Row-facet labels read left to right above each panel, not rotated beside it. */
const ROW_HEADER = {
  labelAngle: 0,
  labelOrient: "top" as const,
  labelAnchor: "start" as const,
  labelFontWeight: "bold" as const,
};

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

/** The diversity reports' charts, in page order (comparison only for two or more, cluster sizes only when listed). */
export function diversityCharts(diversity: ReportDiversity[]): ReportChart[] {
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
