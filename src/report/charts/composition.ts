import type { TopLevelSpec } from "vega-lite";
import type { ChartOptions } from "../types.js";
import {
  chartOptions,
  type Data,
  layout,
  legendFor,
  type Row,
  stepAxis,
  stepShown,
  taskGroupOf,
} from "./shared.js";
import { roundRuleRows } from "./step-panels.js";
import { SCHEMA } from "./theme.js";

/** Groups of training tasks named in the task-mix chart; the others are drawn together as "other". */
export const MAX_TASK_GROUPS = 12;
export const OTHER_GROUP = "other";

/** Training-task groups of the task-mix chart: the MAX_TASK_GROUPS with the most rows drawn, then "other". */
export function compositionGroups(data: Data, o: ChartOptions): { groups: string[]; total: number } {
  const group = taskGroupOf(o.taskGroup);
  const rows = new Map<string, number>();
  const first = new Map<string, number>();
  for (const a of data.arrangements) {
    const c = a.analysis.composition;
    if (!c) continue;
    a.analysis.checkpoints.steps.forEach((step, i) => {
      if (!stepShown(step, o)) return;
      const counts = c.counts[i] ?? [];
      for (let q = 0; q + 1 < counts.length; q += 2) {
        const g = group(c.tasks[counts[q]!] ?? "?");
        if (!first.has(g)) first.set(g, first.size);
        rows.set(g, (rows.get(g) ?? 0) + counts[q + 1]!);
      }
    });
  }
  const ordered = [...rows.keys()].sort(
    (x, y) => rows.get(y)! - rows.get(x)! || first.get(x)! - first.get(y)!,
  );
  return { groups: ordered.slice(0, MAX_TASK_GROUPS), total: ordered.length };
}

/** Whether any analysis records its task mix (analyses written before it do not). */
export const hasComposition = (data: Data) => data.arrangements.some((a) => a.analysis.composition);

/**
 * What each checkpoint interval trains on: the share of its rows from each training-task group
 * (stacked, the MAX_TASK_GROUPS largest named, the rest "other"), one panel per arrangement, with the
 * TMA round starts as rules.
 */
export function compositionSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  if (!hasComposition(data)) return undefined;
  const group = taskGroupOf(o.taskGroup);
  const { groups, total } = compositionGroups(data, o);
  const named = new Set(groups);
  const domain = total > groups.length ? [...groups, OTHER_GROUP] : groups;
  const values: Row[] = [];
  const labels: string[] = [];
  for (const a of data.arrangements) {
    const c = a.analysis.composition;
    if (!c) continue;
    labels.push(a.label);
    const steps = a.analysis.checkpoints.steps;
    steps.forEach((step, i) => {
      if (!stepShown(step, o)) return;
      const counts = c.counts[i] ?? [];
      const byGroup = new Map<string, number>();
      let all = 0;
      for (let q = 0; q + 1 < counts.length; q += 2) {
        const name = group(c.tasks[counts[q]!] ?? "?");
        const g = named.has(name) ? name : OTHER_GROUP;
        byGroup.set(g, (byGroup.get(g) ?? 0) + counts[q + 1]!);
        all += counts[q + 1]!;
      }
      for (const g of domain)
        values.push({
          kind: "share",
          series: a.label,
          group: g,
          order: domain.indexOf(g),
          step,
          rows: byGroup.get(g) ?? 0,
          share: all > 0 ? Number(((byGroup.get(g) ?? 0) / all).toPrecision(6)) : 0,
        });
    });
  }
  const rules = roundRuleRows(data, o);
  const l = layout(o, labels.length, o.width === undefined ? 2 : 1);
  const x = stepAxis([...values, ...rules], o);
  const width = o.width === undefined ? 340 : l.width;
  return {
    $schema: SCHEMA,
    title: `Task mix of each checkpoint interval: share of its rows per training ${o.taskGroup ? "task group" : "task"}`,
    data: { values: [...values, ...rules] },
    columns: l.columns,
    concat: labels.map((label) => ({
      title: { text: label, limit: width + 40, fontSize: o.width === undefined ? 12 : 8 },
      width,
      height: o.width === undefined ? 150 : 90,
      layer: [
        {
          transform: [{ filter: `datum.kind === 'share' && datum.series === ${JSON.stringify(label)}` }],
          mark: { type: "area" as const, interpolate: "step-before" as const },
          encoding: {
            x,
            y: {
              field: "share",
              type: "quantitative" as const,
              stack: "zero" as const,
              title: "share of the interval's rows",
              axis: { format: ".0%" },
              scale: { domain: [0, 1] },
            },
            color: {
              field: "group",
              type: "nominal" as const,
              title: o.taskGroup ? "training task group" : "training task",
              scale: { domain, scheme: "tableau20" },
              legend: legendFor(domain.length, o),
            },
            order: { field: "order", type: "quantitative" as const },
            tooltip: [
              { field: "group", type: "nominal" as const, title: "task" },
              { field: "step", type: "quantitative" as const },
              { field: "rows", type: "quantitative" as const },
              { field: "share", type: "quantitative" as const, format: ".1%" },
            ],
          },
        },
        ...(rules.some((r) => r.series === label)
          ? [
              {
                transform: [
                  { filter: `datum.kind === 'round start' && datum.series === ${JSON.stringify(label)}` },
                ],
                mark: { type: "rule" as const, color: "#222", strokeDash: [3, 3], strokeWidth: 1 },
                encoding: {
                  x: { field: "step", type: "quantitative" as const },
                  tooltip: [
                    { field: "round", type: "quantitative" as const, title: "TMA round starts" },
                    { field: "step", type: "quantitative" as const },
                  ],
                },
              },
            ]
          : []),
      ],
    })),
    resolve: { scale: { x: "shared", y: "shared", color: "shared" } },
    config: l.config,
  } as TopLevelSpec;
}
