import { usageError } from "../core/errors.js";
import {
  type Granularity,
  MEASURES,
  type Measure,
  type Order,
  type Pick,
  type Select,
  STRATEGIES,
  type Strategy,
  WITHIN_ROUND,
  type WithinRound,
} from "../core/types.js";
import { checkBudget } from "./budget.js";
import type { ArrangeAlgoOptions } from "./types.js";

/** Default cap on the TMA distance matrix (n × m × 4 bytes): 6 GiB. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 6 * 2 ** 30;

export interface ResolvedOptions {
  strategy: Strategy;
  measure: Measure;
  order: Order;
  granularity: Granularity;
  pick: Pick;
  withinRound: WithinRound;
  budget: number | undefined;
  select: Select;
  /** λ of select "diverse" (1 when not given). */
  diversityWeight: number;
  seed: number;
  memoryLimitBytes: number;
  blockRows: number | undefined;
  tmaEngine: "auto" | "stream" | "matrix";
  tmaInitialCapacity: number | undefined;
}

const SIMILARITY_ORDERS: readonly Order[] = ["nearest-first", "farthest-first", "random"];
const SCHEDULE_ORDERS: readonly Order[] = ["input", "random"];
const GRANULARITIES: readonly Granularity[] = ["instance", "task"];
const PICKS: readonly Pick[] = ["nearest", "farthest"];
const SELECTS: readonly Select[] = ["min", "max", "min+max", "diverse"];

function oneOf<T extends string>(
  value: T | undefined,
  allowed: readonly T[],
  option: string,
  what: string,
): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw usageError(
      `${option} "${String(value)}" is not valid ${what}`,
      option,
      `Expected one of: ${allowed.join(", ")}.`,
    );
  }
}

/** Checks the options against each other and fills in defaults; every mistake is a usage ArrangeError. */
export function resolveOptions(options: ArrangeAlgoOptions, trainRows: number): ResolvedOptions {
  const { strategy } = options;
  oneOf(strategy, STRATEGIES, "--strategy", "");
  if (strategy === undefined)
    throw usageError("a strategy is required", "--strategy", `Expected one of: ${STRATEGIES.join(", ")}.`);
  const similarity = strategy === "tma" || strategy === "rank";
  const schedule = strategy === "round-robin" || strategy === "cluster";

  const diverse = options.select === "diverse";
  if (options.order === "selection" && !diverse)
    throw usageError(
      "--order selection keeps the order of a diverse selection",
      "--order",
      "Add --budget M --select diverse, or choose another --order.",
    );
  const extra: readonly Order[] = diverse ? ["selection"] : [];
  if (similarity)
    oneOf(options.order, [...SIMILARITY_ORDERS, ...extra], "--order", `for --strategy ${strategy}`);
  if (schedule)
    oneOf(
      options.order,
      [...SCHEDULE_ORDERS, ...extra],
      "--order",
      `for --strategy ${strategy} (a task schedule)`,
    );
  oneOf(options.measure, MEASURES, "--measure", "");
  oneOf(options.granularity, GRANULARITIES, "--granularity", "");
  oneOf(options.pick, PICKS, "--pick", "");
  oneOf(options.select, SELECTS, "--select", "");
  oneOf(options.withinRound, WITHIN_ROUND, "--within-round", "");

  if (options.measure !== undefined && strategy !== "rank") {
    throw usageError(
      `--measure applies to --strategy rank only (got --strategy ${strategy})`,
      "--measure",
      "Drop --measure, or use --strategy rank.",
    );
  }
  if (options.granularity === "task" && !similarity) {
    throw usageError(
      `--granularity task applies to --strategy rank and tma only (got --strategy ${strategy})`,
      "--granularity",
      "Drop --granularity, or use --strategy rank or tma.",
    );
  }
  if (options.pick !== undefined && options.pick !== "nearest" && strategy !== "tma") {
    throw usageError(
      `--pick ${options.pick} applies to --strategy tma only (got --strategy ${strategy})`,
      "--pick",
      "Drop --pick, or use --strategy tma.",
    );
  }
  if (options.withinRound === "shuffle") {
    if (strategy !== "tma")
      throw usageError(
        `--within-round shuffle applies to --strategy tma only (got --strategy ${strategy})`,
        "--within-round",
        "Drop --within-round, or use --strategy tma.",
      );
    if (options.order === "random" || options.select === "diverse")
      throw usageError(
        `--within-round shuffle keeps TMA's rounds in order and shuffles inside them; ${options.order === "random" ? "--order random shuffles every row already" : "--select diverse orders the selection itself"}`,
        "--within-round",
        "Drop --within-round, or use --order nearest-first or farthest-first.",
      );
  }
  if (options.budget !== undefined) checkBudget(options.budget, trainRows);
  if (options.diversityWeight !== undefined) {
    if (!diverse)
      throw usageError(
        "--diversity-weight applies to --select diverse",
        "--diversity-weight",
        "Add --budget M --select diverse, or drop --diversity-weight.",
      );
    if (!(options.diversityWeight >= 0 && options.diversityWeight <= 1))
      throw usageError(
        `--diversity-weight must be in [0, 1], got ${options.diversityWeight}`,
        "--diversity-weight",
        "Pass e.g. --diversity-weight 0.5 (0 = most similar to the test set, 1 = most diverse).",
      );
  }
  if (diverse && options.budget === undefined)
    throw usageError("--select diverse needs --budget", "--select", "Add --budget M (rows to keep).");
  if (options.select !== undefined && options.select !== "min" && !diverse) {
    if (!similarity) {
      throw usageError(
        `--select ${options.select} applies to --strategy rank and tma only; with --strategy ${strategy} a budget keeps the first M rows`,
        "--select",
        "Drop --select, or use --strategy rank or tma.",
      );
    }
    if (options.budget === undefined) {
      throw usageError(
        `--select ${options.select} needs --budget`,
        "--select",
        "Add --budget M (rows to keep).",
      );
    }
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
    order: options.order ?? (similarity ? "nearest-first" : "input"),
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
