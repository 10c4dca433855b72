import { createRng } from "../core/rng.js";
import type { TaskIndex } from "../core/types.js";
import { resolveOptions } from "./resolve-options.js";
import { STRATEGY_TABLE } from "./strategies.js";
import { groupByTask } from "./task-groups.js";
import type { ArrangeAlgoOptions } from "./types.js";

/**
 * Whether a strategy needs embeddings to order the rows. `random`, `round-robin` and `cluster` look only at
 * the row count and the task of each row, so they need none, unless `--select diverse` picks the rows first
 * (that selection is by similarity). Without vectors, a row's nearest test row is unknown.
 */
export function needsVectors(options: Pick<ArrangeAlgoOptions, "strategy" | "select">): boolean {
  if (options.select === "diverse") return true;
  return STRATEGY_TABLE[options.strategy]?.kind === "similarity";
}

export interface ScheduleResult {
  /** Training row indices in output order (the first `budget` of them with a budget). */
  order: Int32Array;
  timings: Record<string, number>;
}

/**
 * The order of a strategy that needs no vectors (see `needsVectors`), from the training rows' tasks alone:
 * the same order `arrangeEmbeddings` gives for the same options and seed (same random streams).
 */
export function arrangeSchedule(
  rows: number,
  tasks: TaskIndex,
  algoOptions: ArrangeAlgoOptions,
): ScheduleResult {
  const t0 = performance.now();
  if (needsVectors(algoOptions))
    throw new RangeError(`strategy ${algoOptions.strategy} needs embeddings; use arrangeEmbeddings`);
  const options = resolveOptions(algoOptions, rows);
  const rng = createRng(options.seed);
  let order: Int32Array;
  const entry = STRATEGY_TABLE[options.strategy];
  if (entry.kind === "similarity") throw new RangeError(`strategy ${options.strategy} needs embeddings`);
  if (entry.kind === "shuffle") order = entry.sequence(rows, rng.fork("random"));
  else {
    const groups = groupByTask(tasks.taskOf, tasks.names.length);
    order = entry.sequence(groups, options.order === "random" ? rng.fork("schedule") : undefined);
  }
  if (options.budget !== undefined) order = order.slice(0, options.budget);
  const seconds = (performance.now() - t0) / 1000;
  return { order, timings: { schedule: seconds, total: seconds } };
}
