import type { ProgressSink } from "../core/progress.js";
import type { Matrix, TaskIndex } from "../core/types.js";
import type { GemmEngine } from "../linalg/types.js";
import type { NearestFirstSequence } from "./order.js";
import { groupByTask, type TaskGroups } from "./task-groups.js";
import type { ResolvedOptions } from "./types.js";

/** What a strategy works from. */
export interface StrategyContext {
  train: Matrix;
  test: Matrix;
  tasks: TaskIndex;
  options: ResolvedOptions;
  gemm: GemmEngine;
  onProgress: ProgressSink;
  /** Seconds per stage; strategies add theirs through `time`. */
  timings: Record<string, number>;
  warnings: string[];
  /** Groups of rows by task, computed on first use. */
  groups(): TaskGroups;
}

/** What a similarity strategy (rank, tma) hands back. */
export interface SimilarityOutcome {
  sequence: NearestFirstSequence;
  /** Nearest test row and cosine distance per training row, when the strategy's own pass produced them. */
  nearestTest?: Int32Array;
  nearestDistance?: Float32Array;
  roundSizes?: number[];
  wsdWeight?: number;
}

export function createContext(
  fields: Omit<StrategyContext, "groups" | "timings" | "warnings">,
): StrategyContext {
  let groups: TaskGroups | undefined;
  return {
    ...fields,
    timings: {},
    warnings: [],
    groups() {
      groups ??= groupByTask(fields.tasks.taskOf, fields.tasks.names.length);
      return groups;
    },
  };
}

/** Runs `fn`, adding its wall time in seconds to `timings[stage]`. */
export async function time<T>(ctx: StrategyContext, stage: string, fn: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    ctx.timings[stage] = (ctx.timings[stage] ?? 0) + (performance.now() - t0) / 1000;
  }
}
