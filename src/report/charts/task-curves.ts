import type { TopLevelSpec } from "vega-lite";
import type { CurveSet } from "../../analyze/types.js";
import type { ChartOptions, ReportArrangement } from "../types.js";
import {
  chartOptions,
  checkTaskGroupMeasure,
  type Data,
  LOWER_MORE_SIMILAR,
  type Row,
  stepShown,
  taskGroupOf,
} from "./shared.js";
import { roundRuleRows, stepPanelsSpec } from "./step-panels.js";

/** Checkpoints drawn per per-task curve at most: a panel is 220 px wide, so more would only add bytes. */
export const MAX_TASK_CURVE_POINTS = 110;

/** Every how many checkpoints a per-task curve is drawn (1 = all); the last checkpoint is always drawn. */
export function taskCurveStride(checkpoints: number): number {
  return Math.max(1, Math.ceil(checkpoints / MAX_TASK_CURVE_POINTS));
}

/** The test tasks (or task groups) the per-task curves chart draws, and how many there are in all. */
export interface TaskPanels {
  /** Tasks (or groups) drawn, in the analyses' order (the first analysis' tasks first). */
  tasks: string[];
  /** Test rows of each drawn task or group (the most any analysis has). */
  rows: Record<string, number>;
  /** Test tasks or groups with per-task curves in any analysis. */
  total: number;
  /** Each drawn group's tasks (one task per group without --task-group). */
  members: Record<string, string[]>;
}

/**
 * Which tasks (or groups of tasks, with `group`) get a per-task curves panel: all when they fit in `max`,
 * else the `max` with the most test rows (ties: the earlier one), drawn in the analyses' order.
 */
export function taskPanels(
  arrangements: ReportArrangement[],
  max: number,
  group: (task: string) => string = (t) => t,
): TaskPanels {
  const order: string[] = [];
  const rows = new Map<string, number>();
  const members = new Map<string, string[]>();
  for (const a of arrangements) {
    const perGroup = new Map<string, number>();
    for (const task of Object.keys(a.analysis.curves.perTask)) {
      const g = group(task);
      if (!rows.has(g)) {
        order.push(g);
        rows.set(g, 0);
        members.set(g, []);
      }
      if (!members.get(g)!.includes(task)) members.get(g)!.push(task);
      perGroup.set(g, (perGroup.get(g) ?? 0) + (a.analysis.coverage.perTask?.[task]?.rows ?? 0));
    }
    for (const [g, n] of perGroup) rows.set(g, Math.max(rows.get(g)!, n));
  }
  const rank = new Map(order.map((t, i) => [t, i]));
  const chosen = new Set(
    [...order]
      .sort((x, y) => rows.get(y)! - rows.get(x)! || rank.get(x)! - rank.get(y)!)
      .slice(0, Math.max(0, max)),
  );
  const tasks = order.filter((t) => chosen.has(t));
  return {
    tasks,
    rows: Object.fromEntries(tasks.map((t) => [t, rows.get(t)!])),
    total: order.length,
    members: Object.fromEntries(tasks.map((t) => [t, members.get(t)!])),
  };
}

/** Per-task panel title: the task (or group) and its test rows. */
export const taskPanelTitle = (task: string, rows: number) =>
  `${task} (${rows} test row${rows === 1 ? "" : "s"})`;

/**
 * One measure's per-task curve of a group of test tasks at checkpoint i: the min, max or test-row
 * weighted mean of the tasks' values (exact for those measures; see GROUPABLE_MEASURES).
 */
function groupValue(
  a: ReportArrangement,
  tasks: string[],
  measure: keyof CurveSet,
  i: number,
): number | undefined {
  let out: number | undefined;
  let weight = 0;
  for (const t of tasks) {
    const v = a.analysis.curves.perTask[t]?.[measure]?.[i];
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    if (tasks.length === 1) return v;
    if (measure.endsWith("-min")) out = out === undefined ? v : Math.min(out, v);
    else if (measure.endsWith("-max")) out = out === undefined ? v : Math.max(out, v);
    else {
      const w = a.analysis.coverage.perTask?.[t]?.rows ?? 0;
      out = (out ?? 0) + w * v;
      weight += w;
    }
  }
  if (out === undefined) return undefined;
  return measure.endsWith("-avg") && tasks.length > 1 ? (weight > 0 ? out / weight : undefined) : out;
}

/**
 * One similarity measure per test task (or task group): the distance of the training prefix to that
 * task's test rows at each checkpoint, one panel per task (at most `maxTaskPanels`), colour =
 * arrangement. Undefined when no analysis has per-task curves.
 */
export function taskCurvesSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  checkTaskGroupMeasure(o);
  const measure = o.taskMeasure;
  const { tasks, rows, members } = taskPanels(data.arrangements, o.maxTaskPanels, taskGroupOf(o.taskGroup));
  if (tasks.length === 0) return undefined;
  const values: Row[] = [];
  for (const a of data.arrangements) {
    const c = a.analysis.checkpoints;
    const shown = c.steps.map((_s, i) => i).filter((i) => stepShown(c.steps[i]!, o));
    const stride = taskCurveStride(shown.length);
    for (const task of tasks)
      shown.forEach((i, k) => {
        if (k % stride !== 0 && k !== shown.length - 1) return;
        const v = groupValue(a, members[task]!, measure, i);
        if (v !== undefined)
          values.push({
            kind: "curve",
            series: a.label,
            panel: task,
            step: c.steps[i]!,
            examples: c.examples[i]!,
            value: v,
          });
      });
  }
  if (values.length === 0) return undefined;
  return stepPanelsSpec({
    data,
    options: o,
    title: `${measure} of the training prefix to each test ${o.taskGroup ? "task group" : "task"}'s rows`,
    values,
    rules: roundRuleRows(data, o),
    panels: tasks.map((t) => ({
      name: t,
      title: taskPanelTitle(t, rows[t]!),
      yTitle: `${measure}, ${LOWER_MORE_SIMILAR}`,
    })),
    height: o.width === undefined ? 120 : 80,
    pointsUpTo: 40,
    seriesTitle: "arrangement",
    panelTitle: o.taskGroup ? "test task group" : "test task",
    domain: data.arrangements.map((a) => a.label),
  });
}
