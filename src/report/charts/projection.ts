import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions, ReportArrangement } from "../types.js";
import { OTHER_GROUP } from "./composition.js";
import { chartOptions, type Data, FIGURE_CONFIG, legendFor, type Row, taskGroupOf } from "./shared.js";
import { CONFIG, SCHEMA } from "./theme.js";
import { pct, SET_COLOR, trainingSets } from "./training-sets.js";

/** How a training set's projected points are coloured: by TMA round, by training task group, or not. */
export function projectionColouring(a: ReportArrangement, o: ChartOptions): "round" | "task" | "none" {
  const train = a.analysis.projection.points.filter((p) => p.set === "train");
  if (train.length > 0 && train.every((p) => typeof p.round === "number")) return "round";
  const group = taskGroupOf(o.taskGroup);
  return new Set(train.map((p) => group(p.task))).size > 1 ? "task" : "none";
}

/**
 * PCA of each training set's sampled rows and all test rows (crosses), one panel per training set
 * (arrangements of one set show the same points). Training points are coloured by TMA round when the
 * analysis has rounds, else by training task (group, the largest named), else not at all.
 */
export function projectionSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec {
  const o = chartOptions(options);
  const sets = trainingSets(data.arrangements);
  const colouring = sets.map((s) => projectionColouring(s.members[0]!, o));
  const byRound = colouring.every((c) => c === "round");
  const byTask = !byRound && colouring.some((c) => c === "task");
  const group = taskGroupOf(o.taskGroup);
  const taskRows = new Map<string, number>();
  if (byTask)
    for (const s of sets)
      for (const p of s.members[0]!.analysis.projection.points)
        if (p.set === "train") taskRows.set(group(p.task), (taskRows.get(group(p.task)) ?? 0) + 1);
  const named = new Set(
    [...taskRows.keys()].sort((x, y) => taskRows.get(y)! - taskRows.get(x)! || (x < y ? -1 : 1)).slice(0, 10),
  );
  const values: Row[] = [];
  const panels: string[] = [];
  for (const s of sets) {
    const p = s.members[0]!.analysis.projection;
    const [v1, v2] = p.explainedVariance;
    const panel = `${s.label} (PC1 ${pct(v1)}, PC2 ${pct(v2)} of the variance)`;
    panels.push(panel);
    for (const pt of p.points) {
      const row: Row = { panel, set: pt.set, x: pt.x, y: pt.y, position: pt.position, task: pt.task };
      if (typeof pt.round === "number") row.round = pt.round;
      if (pt.set === "train" && byTask) row.group = named.has(group(pt.task)) ? group(pt.task) : OTHER_GROUP;
      values.push(row);
    }
  }
  const groupDomain = [...named].sort();
  if (taskRows.size > named.size) groupDomain.push(OTHER_GROUP);
  const shape = {
    field: "set",
    type: "nominal" as const,
    title: "set",
    scale: { domain: ["train", "test"], range: ["circle", "cross"] },
  };
  const color = byRound
    ? { field: "round", type: "quantitative" as const, title: "TMA round", scale: { scheme: "viridis" } }
    : byTask
      ? {
          field: "group",
          type: "nominal" as const,
          title: o.taskGroup ? "training task group" : "training task",
          scale: { domain: groupDomain, scheme: "tableau20" },
          legend: legendFor(groupDomain.length, o),
        }
      : { value: SET_COLOR };
  const side =
    o.width === undefined ? 340 : Math.max(80, Math.floor(o.width / Math.min(2, sets.length)) - 60);
  return {
    $schema: SCHEMA,
    title: "2-D projection (PCA) of training and test embeddings",
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: panels, header: { labelLimit: side + 40 } },
    columns: 2,
    spec: {
      width: side,
      height: Math.round(side * 0.88),
      layer: [
        {
          transform: [{ filter: "datum.set === 'train'" }],
          mark: { type: "point", filled: true, size: 14, opacity: 0.7 },
          encoding: {
            x: { field: "x", type: "quantitative", title: "PC1" },
            y: { field: "y", type: "quantitative", title: "PC2" },
            color,
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
    config: o.width === undefined ? CONFIG : FIGURE_CONFIG,
  };
}
