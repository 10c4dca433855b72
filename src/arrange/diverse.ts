import type { Matrix, TaskIndex } from "../core/types.js";
import { greedySelect } from "../diversity/greedy.js";
import { normalizeRows } from "../linalg/normalize-rows.js";
import type { GemmEngine } from "../linalg/types.js";
import { trainTestAggregates } from "../similarity/train-test-aggregates.js";
import type { StrategyContext } from "./context.js";
import { time } from "./context.js";
import type { ArrangeAlgoOptions, ArrangeAlgoResult, ArrangeEmbeddings } from "./types.js";

/** The row whose unit vector has the largest cosine similarity to the mean of all unit rows (ties: lowest index). */
export function nearestToCentroid(x: Float32Array, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]!;
  let best = 0;
  let bestDot = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! * mean[k]!;
    if (s > bestDot) {
      bestDot = s;
      best = i;
    }
  }
  return best;
}

/**
 * `select: "diverse"`: greedily take M training rows maximizing (1 − λ)·relevance − λ·redundancy (relevance =
 * largest cosine similarity to a test row, redundancy = largest cosine similarity to a row already taken; see
 * greedySelect), then arrange the selected rows with the strategy (rows passed in ascending input order, so the
 * strategy's ties still go to the lower input index) — or keep the greedy order with `order: "selection"`.
 */
export async function arrangeDiverse(
  ctx: StrategyContext,
  algoOptions: ArrangeAlgoOptions,
  gemm: GemmEngine,
  arrangeEmbeddings: ArrangeEmbeddings,
): Promise<ArrangeAlgoResult> {
  const { train, test, tasks, options } = ctx;
  const n = train.rows;
  const d = train.cols;
  const budget = options.budget!;
  const weight = options.diversityWeight;
  const x = normalizeRows(train.data, n, d);
  const stream = {
    gemm,
    onProgress: ctx.onProgress,
    stage: "distances",
    ...(options.blockRows ? { blockRows: options.blockRows } : {}),
  };
  let nearest: { test: Int32Array; distance: Float32Array } | undefined;
  let relevance: Float64Array | undefined;
  if (weight < 1 || options.order === "selection") {
    const agg = await time(ctx, "distances", () =>
      trainTestAggregates(train, test, { nearest: true }, stream),
    );
    nearest = { test: agg.nearestTest!, distance: agg.nearestDistance! };
    if (weight < 1) relevance = Float64Array.from(nearest.distance, (v) => -v);
  }
  const start = weight === 1 ? nearestToCentroid(x, n, d) : undefined;
  const sel = await time(ctx, "select-diverse", () =>
    greedySelect({
      x,
      n,
      d,
      budget,
      weight,
      ...(relevance ? { relevance } : {}),
      ...(start === undefined ? {} : { start }),
      gemm,
      onProgress: ctx.onProgress,
      stage: "select-diverse",
    }),
  );
  const diverse = { weight, start: sel.rows[0]!, coverRadius: sel.coverRadius };
  const rankOf = new Map<number, number>();
  sel.rows.forEach((row, r) => {
    rankOf.set(row, r);
  });
  const timings = () => ctx.timings;
  const warnings = () => (ctx.warnings.length > 0 ? { warnings: ctx.warnings } : {});

  if (options.order === "selection") {
    const order = Int32Array.from(sel.rows);
    return {
      order,
      value: Float64Array.from(sel.score),
      selected: Int32Array.from(order, (_, p) => p),
      diverse,
      nearestTest: Int32Array.from(order, (i) => nearest!.test[i]!),
      nearestDistance: Float32Array.from(order, (i) => nearest!.distance[i]!),
      timings: timings(),
      ...warnings(),
    };
  }

  const rows = Int32Array.from(sel.rows).sort();
  const sub: Matrix = { data: new Float32Array(rows.length * d), rows: rows.length, cols: d };
  rows.forEach((row, i) => {
    sub.data.set(train.data.subarray(row * d, (row + 1) * d), i * d);
  });
  const subTasks: TaskIndex = {
    taskOf: Int32Array.from(rows, (row) => tasks.taskOf[row]!),
    names: tasks.names,
  };
  const { budget: _b, select: _s, diversityWeight: _w, ...rest } = algoOptions;
  const inner = await arrangeEmbeddings(sub, test, subTasks, { ...rest, gemm });
  for (const [k, v] of Object.entries(inner.timings)) ctx.timings[`arrange:${k}`] = v;
  ctx.warnings.push(...(inner.warnings ?? []));
  const order = Int32Array.from(inner.order, (i) => rows[i]!);
  return {
    ...inner,
    order,
    selected: Int32Array.from(order, (row) => rankOf.get(row)!),
    diverse,
    timings: timings(),
    ...warnings(),
  };
}
