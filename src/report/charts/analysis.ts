import type { TopLevelSpec } from "vega-lite";
import { CURVE_NAMES, type CurveSet } from "../../analyze/types.js";
import { usageError } from "../../core/errors.js";
import type { ChartOptions, ReportArrangement, ReportChart, ReportData } from "../types.js";
import { CONFIG, colorScale, LOSS_PANELS, SCHEMA, seriesDomain } from "./theme.js";

type Row = Record<string, string | number>;
type Data = Pick<ReportData, "arrangements" | "runs">;

/** What each overall measure is, for panel titles. */
export const MEASURE_TITLES: Record<keyof CurveSet | "wsd", string> = {
  "cos-min": "cos-min: nearest cosine distance",
  "cos-max": "cos-max: farthest cosine distance",
  "cos-avg": "cos-avg: mean cosine distance",
  "cos-centroid": "cos-centroid: cosine distance of the means",
  "euc-min": "euc-min: nearest Euclidean distance",
  "euc-max": "euc-max: farthest Euclidean distance",
  "euc-avg": "euc-avg: mean Euclidean distance",
  "euc-centroid": "euc-centroid: Euclidean distance of the means",
  "kl-bigram": "kl-bigram: bigram KL divergence",
  wsd: "wsd: mean WSD of the rows",
};

/** The y axis title of every similarity panel: which way is better. */
export const LOWER_MORE_SIMILAR = "lower = more similar";
export const LOWER_BETTER = "lower = better";

/** Panel measures of the curves charts: the nine curves, then the rows' mean WSD. */
export const STEP_MEASURES = [...CURVE_NAMES, "wsd"] as const;
export type StepMeasure = (typeof STEP_MEASURES)[number];

/** Groups of training tasks named in the task-mix chart; the others are drawn together as "other". */
export const MAX_TASK_GROUPS = 12;
export const OTHER_GROUP = "other";

/** Checkpoints drawn per per-task curve at most: a panel is 220 px wide, so more would only add bytes. */
export const MAX_TASK_CURVE_POINTS = 110;

/** Every how many checkpoints a per-task curve is drawn (1 = all); the last checkpoint is always drawn. */
export function taskCurveStride(checkpoints: number): number {
  return Math.max(1, Math.ceil(checkpoints / MAX_TASK_CURVE_POINTS));
}

/** The full chart options with their defaults. */
export function chartOptions(o: Partial<ChartOptions> = {}): ChartOptions {
  return {
    taskMeasure: o.taskMeasure ?? "cos-avg",
    maxTaskPanels: o.maxTaskPanels ?? 12,
    logSteps: o.logSteps ?? false,
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    ...(o.taskGroup !== undefined ? { taskGroup: o.taskGroup } : {}),
    ...(o.measures !== undefined ? { measures: o.measures } : {}),
    ...(o.width !== undefined ? { width: o.width } : {}),
  };
}

/**
 * The group a task belongs to under `--task-group REGEX`: the first capture group of the first match,
 * else the whole match; a task the pattern does not match is its own group.
 */
export function taskGroupOf(pattern: RegExp | undefined): (task: string) => string {
  if (pattern === undefined) return (t) => t;
  return (task) => {
    const m = pattern.exec(task);
    if (m === null) return task;
    const g = m[1] ?? m[0];
    return g === "" ? task : g;
  };
}

/** Per-task measures that combine exactly over the test rows of several tasks (min, max, mean). */
export const GROUPABLE_MEASURES: readonly (keyof CurveSet)[] = [
  "cos-min",
  "cos-max",
  "cos-avg",
  "euc-min",
  "euc-max",
  "euc-avg",
];

/** Refuses a task measure that cannot be combined over grouped test tasks. */
export function checkTaskGroupMeasure(o: ChartOptions): void {
  if (o.taskGroup !== undefined && !GROUPABLE_MEASURES.includes(o.taskMeasure))
    throw usageError(
      `--task-group cannot combine ${o.taskMeasure} over several test tasks (it is not a min, max or mean over test rows)`,
      "--task-measure",
      `pass one of ${GROUPABLE_MEASURES.join(", ")} with --task-group, or drop --task-group`,
    );
}

/** Whether a step is drawn: within --max-steps, and above 0 on a log axis. */
function stepShown(step: number, o: ChartOptions): boolean {
  if (o.maxSteps !== undefined && step > o.maxSteps) return false;
  return !o.logSteps || step > 0;
}

/** Layout and type sizes: the page's, or fitted to a figure's total width. */
function layout(o: ChartOptions, panels: number, perRow = 3) {
  if (o.width === undefined) return { columns: Math.min(perRow, panels), width: 220, config: CONFIG };
  const columns = Math.max(1, Math.min(panels, perRow, Math.floor(o.width / 150)));
  // About 50 px per panel for the y axis and its title, 10 px between panels.
  const width = Math.max(60, Math.floor(o.width / columns) - 58);
  return { columns, width, config: FIGURE_CONFIG };
}

/** Smaller type for figures (1 px = 1 pt at 72 dpi, so 8 px reads as 8 pt in a paper). */
export const FIGURE_CONFIG = {
  ...CONFIG,
  axis: { ...CONFIG.axis, labelFontSize: 7, titleFontSize: 8 },
  header: { labelFontSize: 8, titleFontSize: 8 },
  legend: { ...CONFIG.legend, labelFontSize: 7, titleFontSize: 8, labelLimit: 200 },
  title: { fontSize: 9, anchor: "start" as const },
};

function legendFor(n: number, o: ChartOptions) {
  return {
    orient: "bottom" as const,
    direction: "horizontal" as const,
    columns: Math.max(1, Math.min(n, o.width === undefined ? 4 : 2)),
    labelLimit: o.width === undefined ? 320 : 200,
  };
}

function stepAxis(values: Row[], o: ChartOptions) {
  const steps = values.map((v) => v.step).filter((s): s is number => typeof s === "number");
  const lo = steps.length > 0 ? Math.min(...steps) : 0;
  const hi = steps.length > 0 ? Math.max(...steps) : 1;
  return {
    field: "step",
    type: "quantitative" as const,
    title: o.logSteps ? "optimizer step (log scale)" : "optimizer step",
    scale: o.logSteps
      ? { type: "log" as const, domain: [Math.max(1, lo), Math.max(hi, lo + 1)], nice: false }
      : { domain: [lo, hi === lo ? lo + 1 : hi], nice: false, zero: false },
  };
}

/** Round starts of each arrangement as rule rows (the first row's round is no boundary). */
function roundRuleRows(data: Data, o: ChartOptions): Row[] {
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

interface Panel {
  name: string;
  title: string;
  yTitle: string;
}

/**
 * Line panels of `value` over the optimizer step (one per `panels`, three to a row, own y scale each,
 * the same step axis), colour = series, TMA round starts as dashed rules of the series' colour.
 */
function stepPanelsSpec(o: {
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

function measurePanels(o: ChartOptions, available: StepMeasure[]): Panel[] {
  const wanted = o.measures ?? [...STEP_MEASURES];
  return available
    .filter((m) => wanted.includes(m))
    .map((m) => ({ name: m, title: MEASURE_TITLES[m], yTitle: LOWER_MORE_SIMILAR }));
}

/**
 * Similarity of every arrangement's training prefix at each checkpoint, one panel per measure (the
 * nine curves and the mean WSD of the prefix), colour = arrangement; runs' loss in panels before them.
 */
export function curvesSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec {
  const o = chartOptions(options);
  const values: Row[] = [];
  let hasWsd = false;
  for (const a of data.arrangements) {
    const c = a.analysis.checkpoints;
    const curves: [StepMeasure, number[] | undefined][] = [
      ...CURVE_NAMES.map((m) => [m, a.analysis.curves.overall[m]] as [StepMeasure, number[]]),
      ["wsd", a.analysis.curves.wsd],
    ];
    for (const [m, curve] of curves) {
      if (!Array.isArray(curve)) continue;
      if (m === "wsd") hasWsd = true;
      c.steps.forEach((step, i) => {
        const v = curve[i];
        if (typeof v === "number" && Number.isFinite(v) && stepShown(step, o))
          values.push({ kind: "curve", series: a.label, panel: m, step, examples: c.examples[i]!, value: v });
      });
    }
  }
  const lossPanels = new Set<string>();
  for (const r of data.runs)
    for (const p of r.curves.points) {
      if (!stepShown(p.step, o)) continue;
      for (const [panel, value] of [
        ["test loss", p.test?.loss],
        ["train loss", p.trainLoss],
      ] as const)
        if (typeof value === "number") {
          values.push({ kind: "curve", series: r.label, panel, step: p.step, examples: p.examples, value });
          lossPanels.add(panel);
        }
    }
  const panels: Panel[] = [
    ...LOSS_PANELS.filter((p) => lossPanels.has(p)).map((p) => ({ name: p, title: p, yTitle: LOWER_BETTER })),
    ...measurePanels(
      o,
      STEP_MEASURES.filter((m) => m !== "wsd" || hasWsd),
    ),
  ];
  return stepPanelsSpec({
    data,
    options: o,
    title:
      data.runs.length > 0
        ? "Loss during training and similarity of the training prefix to the test set"
        : "Similarity of the training prefix (all rows seen so far) to the test set",
    values,
    rules: roundRuleRows(data, o),
    panels,
    height: o.width === undefined ? 140 : 90,
    pointsUpTo: 60,
    seriesTitle: "arrangement / run",
    panelTitle: "measure",
  });
}

/** Whether any analysis has per-interval curves (analyses written before them have none). */
export const hasWindowCurves = (data: Data) => data.arrangements.some((a) => a.analysis.curves.window);

/**
 * Similarity of each checkpoint interval on its own (the rows trained between two checkpoints) to the
 * test set: the same measures, what the model sees at that moment rather than in all so far.
 */
export function windowCurvesSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  if (!hasWindowCurves(data)) return undefined;
  const values: Row[] = [];
  for (const a of data.arrangements) {
    const w = a.analysis.curves.window;
    if (!w) continue;
    const c = a.analysis.checkpoints;
    const curves: [StepMeasure, number[]][] = [
      ...CURVE_NAMES.map((m) => [m, w.overall[m]] as [StepMeasure, number[]]),
      ["wsd", w.wsd],
    ];
    for (const [m, curve] of curves)
      c.steps.forEach((step, i) => {
        const v = curve[i];
        if (typeof v === "number" && Number.isFinite(v) && stepShown(step, o))
          values.push({ kind: "curve", series: a.label, panel: m, step, examples: c.examples[i]!, value: v });
      });
  }
  return stepPanelsSpec({
    data,
    options: o,
    title:
      "Similarity of each checkpoint interval on its own (the rows trained since the previous checkpoint)",
    values,
    rules: roundRuleRows(data, o),
    panels: measurePanels(o, [...STEP_MEASURES]),
    height: o.width === undefined ? 140 : 90,
    pointsUpTo: 60,
    seriesTitle: "arrangement",
    panelTitle: "measure",
    domain: data.arrangements.map((a) => a.label),
  });
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

/** Distinct training tasks per optimizer batch, averaged over each checkpoint interval, per arrangement. */
export function batchTasksSpec(data: Data, options: Partial<ChartOptions> = {}): TopLevelSpec | undefined {
  const o = chartOptions(options);
  if (!hasComposition(data)) return undefined;
  const values: Row[] = [];
  for (const a of data.arrangements) {
    const c = a.analysis.composition;
    if (!c) continue;
    a.analysis.checkpoints.steps.forEach((step, i) => {
      const v = c.distinctPerBatch[i];
      if (typeof v === "number" && stepShown(step, o))
        values.push({
          kind: "curve",
          series: a.label,
          panel: "tasks per batch",
          step,
          examples: a.analysis.checkpoints.examples[i]!,
          value: v,
        });
    });
  }
  const bs = data.arrangements[0]?.analysis.checkpoints.batchSize ?? 0;
  return stepPanelsSpec({
    data,
    options: { ...o, width: o.width },
    title: `Distinct training tasks per batch of ${bs} rows`,
    values,
    rules: roundRuleRows(data, o),
    panels: [
      { name: "tasks per batch", title: "tasks per batch", yTitle: "distinct tasks (higher = more mixed)" },
    ],
    height: o.width === undefined ? 160 : 90,
    pointsUpTo: 60,
    seriesTitle: "arrangement",
    panelTitle: "measure",
    domain: data.arrangements.map((a) => a.label),
  });
}

/** Arrangements of one training set: the order-independent charts are drawn once for them. */
export interface TrainingSet {
  label: string;
  members: ReportArrangement[];
}

/** What makes two analyses' training sets the same set: the content hash, else what depends only on the set. */
function setKey(a: ReportArrangement, useHash: boolean): string {
  const t = a.analysis.inputs.train;
  if (useHash) return `hash ${t.contentHash}`;
  return JSON.stringify([
    t.rows,
    a.analysis.inputs.test.path,
    a.analysis.wsd.histogram.counts,
    a.analysis.wsd.histogram.min,
    a.analysis.coverage.rows.map((r) => r.nearest[0]?.similarity ?? null),
  ]);
}

/**
 * Arrangements grouped by training set, in the order given: arrangements of one set (the same rows in
 * another order) share their WSD distribution, coverage, rounds and projection.
 */
export function trainingSets(arrangements: ReportArrangement[]): TrainingSet[] {
  const groups = new Map<string, ReportArrangement[]>();
  // Analyses written before content hashes: compare what depends only on the set, for all of them.
  const useHash = arrangements.every((a) => typeof a.analysis.inputs.train.contentHash === "string");
  for (const a of arrangements) {
    const k = setKey(a, useHash);
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  return [...groups.values()].map((members) => ({
    label:
      members.length === 1 ? members[0]!.label : `training set of ${members.map((m) => m.label).join(", ")}`,
    members,
  }));
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const SET_COLOR = "#4c78a8";

/** Row-facet labels read left to right above each panel, not rotated beside it. */
const ROW_HEADER = {
  labelAngle: 0,
  labelOrient: "top" as const,
  labelAnchor: "start" as const,
  labelFontWeight: "bold" as const,
  labelLimit: 600,
};

function setWidth(o: ChartOptions): number {
  return o.width === undefined ? 520 : Math.max(80, o.width - 70);
}

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

/** Names of the analysis charts, in page order (those a figure can draw). */
export const ANALYSIS_CHARTS = [
  "curves",
  "window-curves",
  "task-curves",
  "composition",
  "batch-tasks",
  "wsd",
  "rounds",
  "projection",
  "coverage",
] as const;

/** The analysis charts of a report, in page order (charts without data in any analysis are left out). */
export function analysisCharts(data: Data, options: Partial<ChartOptions> = {}): ReportChart[] {
  const o = chartOptions(options);
  if (data.arrangements.length === 0) return [];
  const several = data.arrangements.length > 1;
  const window = o.maxSteps !== undefined ? ` Steps up to ${o.maxSteps} (--max-steps).` : "";
  const log = o.logSteps ? " The step axis is logarithmic (step 0 is left out)." : "";
  const rounds = data.arrangements.some((a) => (a.analysis.tma?.starts ?? []).some((s) => s.position > 0))
    ? " Dashed vertical rules mark where a new TMA round begins."
    : "";
  const axisNotes = window + log + rounds;
  const charts: ReportChart[] = [
    {
      name: "curves",
      title: data.runs.length > 0 ? "Loss and similarity curves" : "Similarity curves",
      caption:
        "Distance between the training prefix seen at each checkpoint (all rows so far) and the whole test set, by measure " +
        "(lower = more similar; cosine distance is the negative cosine similarity; wsd is the prefix rows' mean WSD)" +
        (several ? ", one colour per arrangement" : "") +
        (data.runs.length > 0 ? "; training runs' loss in the first panels on the same step axis." : ".") +
        axisNotes,
      spec: curvesSpec(data, o),
    },
  ];
  const windowSpec = windowCurvesSpec(data, o);
  if (windowSpec)
    charts.push({
      name: "window-curves",
      title: "Similarity of each checkpoint interval",
      caption:
        "The same measures for the rows trained between two checkpoints alone (what the model sees at that moment, " +
        "not everything so far); lower = more similar." +
        axisNotes,
      spec: windowSpec,
    });
  const taskSpec = taskCurvesSpec(data, o);
  if (taskSpec) {
    const { tasks, total } = taskPanels(data.arrangements, o.maxTaskPanels, taskGroupOf(o.taskGroup));
    const what = o.taskGroup ? "task group" : "task";
    charts.push({
      name: "task-curves",
      title: `Similarity curves per test ${what} (${o.taskMeasure})`,
      caption:
        `${o.taskMeasure} between the training prefix at each checkpoint and one test ${what}'s rows, one panel per ${what}` +
        (o.taskGroup
          ? ` (--task-group ${o.taskGroup.source}: min, max or row-weighted mean over the group's tasks)`
          : "") +
        (several ? ", one colour per arrangement" : "") +
        "; lower = more similar" +
        (tasks.length < total
          ? `. ${tasks.length} of ${total} shown (those with the most test rows); --max-task-panels ${total} shows all.`
          : `; all ${total}.`) +
        ` At most ${MAX_TASK_CURVE_POINTS} checkpoints are drawn per curve (the last included).` +
        " --task-measure picks another measure, --task-group groups tasks." +
        axisNotes,
      spec: taskSpec,
    });
  }
  const mix = compositionSpec(data, o);
  if (mix) {
    const { groups, total } = compositionGroups(data, o);
    charts.push({
      name: "composition",
      title: "Task mix over training",
      caption:
        `Share of each checkpoint interval's rows per training ${o.taskGroup ? `task group (--task-group ${o.taskGroup.source})` : "task"}, stacked, one panel per arrangement` +
        (total > groups.length
          ? `; the ${groups.length} of ${total} with the most rows are named, the rest drawn as "${OTHER_GROUP}".`
          : ".") +
        axisNotes,
      spec: mix,
    });
  }
  const batch = batchTasksSpec(data, o);
  if (batch)
    charts.push({
      name: "batch-tasks",
      title: "Distinct tasks per batch",
      caption:
        "How many different training tasks one optimizer batch holds, averaged over each checkpoint interval (1 = every batch from one task)." +
        axisNotes,
      spec: batch,
    });
  const sets = trainingSets(data.arrangements);
  const once =
    sets.length < data.arrangements.length
      ? ` Drawn once per training set: ${sets
          .filter((s) => s.members.length > 1)
          .map((s) => s.members.map((m) => m.label).join(", "))
          .join("; ")} hold the same rows in other orders.`
      : "";
  charts.push({
    name: "wsd",
    title: "WSD distribution",
    caption:
      "Histogram of WSD_i = AD_i + w·MD_i over the training rows (AD = mean, MD = minimum cosine distance to the test set; lower = more similar)." +
      once,
    spec: wsdSpec(data, o),
  });
  const roundsChart = roundsSpec(data, o);
  if (roundsChart)
    charts.push({
      name: "rounds",
      title: "TMA rounds",
      caption:
        "Rows taken in each Test-centric Multi-turn Arrangement round and the mean distance of those rows to the test point that took them." +
        once,
      spec: roundsChart,
    });
  const colouring = projectionColouring(sets[0]!.members[0]!, o);
  const { thresholdShown, hi } = coverageExtent(data);
  const threshold = data.arrangements[0]!.analysis.coverage.threshold;
  const embedders = [...new Set(data.arrangements.map((a) => a.analysis.embedder.id))];
  charts.push(
    {
      name: "projection",
      title: "2-D projection",
      caption:
        `PCA of the sampled training rows (colour = ${colouring === "round" ? "TMA round" : colouring === "task" ? "training task, the 10 largest named" : "none"}) and all test rows (red crosses).` +
        once,
      spec: projectionSpec(data, o),
    },
    {
      name: "coverage",
      title: "Test coverage",
      caption:
        `For each test row, the cosine similarity of its nearest training row (embedder ${embedders.join(", ")}), on an axis fitted to the values.` +
        (thresholdShown
          ? ` The dashed line is the contamination threshold ${threshold}.`
          : ` The contamination threshold ${threshold} lies beyond every value (the highest is ${hi.toPrecision(3)}), so it is not drawn.`) +
        " The threshold's meaning depends on the embedder: similarities of different embedders (e.g. ngram and MiniLM) are not on one scale." +
        once,
      spec: coverageSpec(data, o),
    },
  );
  return charts;
}
