import { usageError } from "../core/errors.js";
import type { Granularity, Order, Select, Strategy, WithinRound } from "../core/types.js";
import { checkBudget } from "./budget.js";
import { defaultOrder, flagSpelling, strategyMistake } from "./strategies.js";
import type { ArrangeAlgoOptions, ResolvedOptions } from "./types.js";

export type { ResolvedOptions };

/** Default cap on the TMA distance matrix (n × m × 4 bytes): 6 GiB. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 6 * 2 ** 30;

/** Checks the options against each other and fills in defaults; every mistake is a usage ArrangeError. */
export function resolveOptions(options: ArrangeAlgoOptions, trainRows: number): ResolvedOptions {
  const mistake = strategyMistake(options, flagSpelling);
  if (mistake !== undefined) throw usageError(mistake.message, flagSpelling(mistake.option), mistake.fix);
  const { strategy } = options;
  const _diverse = options.select === "diverse";
  if (options.budget !== undefined) checkBudget(options.budget, trainRows);
  if (options.diversityWeight !== undefined) {
    if (!(options.diversityWeight >= 0 && options.diversityWeight <= 1))
      throw usageError(
        `--diversity-weight must be in [0, 1], got ${options.diversityWeight}`,
        "--diversity-weight",
        "Pass e.g. --diversity-weight 0.5 (0 = most similar to the test set, 1 = most diverse).",
      );
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw usageError(
      `seed must be a whole number, got ${options.seed}`,
      "--seed",
      "Pass --seed with an integer.",
    );
  }
  const limit = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  if (!(limit > 0)) {
    throw usageError(`memory limit must be a positive number of bytes, got ${limit}`, "--memory-limit");
  }
  if (
    options.blockRows !== undefined &&
    !(Number.isSafeInteger(options.blockRows) && options.blockRows >= 1)
  ) {
    throw usageError(`blockRows must be a positive integer, got ${options.blockRows}`, "blockRows");
  }
  return {
    strategy,
    measure: options.measure ?? "wsd",
    order: options.order ?? defaultOrder(strategy),
    granularity: options.granularity ?? "instance",
    pick: options.pick ?? "nearest",
    withinRound:
      options.withinRound ?? defaultWithinRound(strategy, options.order, options.select, options.granularity),
    budget: options.budget,
    select: options.select ?? "min",
    diversityWeight: options.diversityWeight ?? 1,
    seed: options.seed,
    memoryLimitBytes: limit,
    blockRows: options.blockRows,
    tmaEngine: options.tmaEngine ?? "auto",
    tmaInitialCapacity: options.tmaInitialCapacity,
  };
}

/**
 * TMA's default inside a round: shuffled with the seed wherever rounds are kept in order (nearest-first or
 * farthest-first, no diverse selection). The authors' index order puts a round's rows of one task file next to
 * each other (single-task batches, measured worse than random on P3); it stays available as "index".
 * Coarse TMA (granularity task) keeps a task's rows together by definition, so it keeps index order.
 */
export function defaultWithinRound(
  strategy: Strategy,
  order: Order | undefined,
  select: Select | undefined,
  granularity?: Granularity,
): WithinRound {
  const keepsRounds = order === undefined || order === "nearest-first" || order === "farthest-first";
  return strategy === "tma" && keepsRounds && select !== "diverse" && granularity !== "task"
    ? "shuffle"
    : "index";
}
