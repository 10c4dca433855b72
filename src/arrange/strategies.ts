import type { Rng } from "../core/rng.js";
import {
  type Granularity,
  MEASURES,
  type Order,
  type PickDirection,
  type Select,
  STRATEGIES,
  type Strategy,
  WITHIN_ROUND,
} from "../core/types.js";
import { arrangeCluster } from "./cluster.js";
import type { SimilarityOutcome, StrategyContext } from "./context.js";
import { arrangeRandom } from "./random.js";
import { rankSequence } from "./rank.js";
import { arrangeRoundRobin } from "./round-robin.js";
import type { TaskGroups } from "./task-groups.js";
import { tmaSequence } from "./tma.js";

/**
 * The strategies, once: what each is, which orders and options it takes, and the function that makes its
 * sequence. The CLI (`--strategy` and its choices), the experiment spec validator and the library
 * (`arrangeEmbeddings`, `arrangeSchedule`, `arrange()`) all read this table and check a choice with
 * `strategyMistake`, so a mistake has one wording everywhere.
 */

/** The options whose meaning depends on the strategy. */
export type StrategyOption = "order" | "measure" | "granularity" | "pick" | "withinRound" | "select";

interface StrategyBase {
  name: Strategy;
  /** One line for help texts and docs. */
  summary: string;
  /** The orders it takes (`selection` is added for `select: "diverse"`). */
  orders: readonly Order[];
  /** The order used when none is given (also what the manifest records). */
  defaultOrder: Order;
  /** The strategy-dependent options it takes (besides order); see OPTION_RULES for values allowed to all. */
  takes: readonly StrategyOption[];
}

export interface SimilarityStrategy extends StrategyBase {
  kind: "similarity";
  /** The full sequence (rounds or ranks) of the training rows against the test rows; order/budget come after. */
  sequence: (ctx: StrategyContext) => Promise<SimilarityOutcome>;
}
export interface ScheduleStrategy extends StrategyBase {
  kind: "schedule";
  /** The row order from the task groups; `shuffle` given for order random. */
  sequence: (groups: TaskGroups, shuffle?: Rng) => Int32Array;
}
export interface ShuffleStrategy extends StrategyBase {
  kind: "shuffle";
  sequence: (rows: number, rng: Rng) => Int32Array;
}
export type StrategyEntry = SimilarityStrategy | ScheduleStrategy | ShuffleStrategy;

/** The paper's orders of a similarity sequence: NFT, FFT and RT (random). */
const SIMILARITY_ORDERS: readonly Order[] = ["nearest-first", "farthest-first", "random"];

export const STRATEGY_TABLE: { readonly [S in Strategy]: StrategyEntry & { name: S } } = {
  tma: {
    name: "tma",
    kind: "similarity",
    summary:
      "Test-centric Multi-turn Arrangement (Algorithm 1): rounds in which every test row takes a training row",
    orders: SIMILARITY_ORDERS,
    defaultOrder: "nearest-first",
    takes: ["granularity", "pick", "withinRound", "select"],
    sequence: tmaSequence,
  },
  rank: {
    name: "rank",
    kind: "similarity",
    summary: "every training row ranked by one distance measure to the test set (WSD by default)",
    orders: SIMILARITY_ORDERS,
    defaultOrder: "nearest-first",
    takes: ["measure", "granularity", "select"],
    sequence: rankSequence,
  },
  random: {
    name: "random",
    kind: "shuffle",
    summary: "a seeded shuffle of all training rows",
    // random is itself the shuffle: "random" is accepted as a no-op, no other order.
    orders: ["random"],
    defaultOrder: "input",
    takes: [],
    sequence: arrangeRandom,
  },
  "round-robin": {
    name: "round-robin",
    kind: "schedule",
    summary: "one row of each task in turn (a task schedule)",
    orders: ["input", "random"],
    defaultOrder: "input",
    takes: [],
    sequence: arrangeRoundRobin,
  },
  cluster: {
    name: "cluster",
    kind: "schedule",
    summary: "all rows of one task, then the next task (a task schedule)",
    orders: ["input", "random"],
    defaultOrder: "input",
    takes: [],
    sequence: arrangeCluster,
  },
};

/** The strategy-dependent options: their values, and the one value any strategy accepts (what it does anyway). */
const OPTION_RULES: {
  [O in Exclude<StrategyOption, "order">]: { values: readonly string[]; neutral?: string };
} = {
  measure: { values: MEASURES },
  granularity: { values: ["instance", "task"] satisfies Granularity[], neutral: "instance" },
  pick: { values: ["nearest", "farthest"] satisfies PickDirection[], neutral: "nearest" },
  withinRound: { values: WITHIN_ROUND, neutral: "index" },
  select: { values: ["min", "max", "min+max", "diverse"] satisfies Select[], neutral: "min" },
};
export const ORDERS: readonly Order[] = ["nearest-first", "farthest-first", "random", "input", "selection"];
export const GRANULARITIES = OPTION_RULES.granularity.values as readonly Granularity[];
export const PICK_DIRECTIONS = OPTION_RULES.pick.values as readonly PickDirection[];
export const SELECTS = OPTION_RULES.select.values as readonly Select[];

/** A strategy choice as given by a user (values not yet checked). */
export interface StrategyChoice {
  strategy?: unknown;
  order?: unknown;
  measure?: unknown;
  granularity?: unknown;
  pick?: unknown;
  withinRound?: unknown;
  select?: unknown;
  budget?: unknown;
  diversityWeight?: unknown;
}

/** One mistake in a strategy choice: the option it concerns, the message and the fix, in one wording. */
export interface StrategyMistake {
  option: StrategyOption | "strategy" | "budget" | "diversityWeight";
  message: string;
  fix: string;
}

/** How a caller spells an option: `--pick` on the command line and in the library, `pick` in a spec file. */
export type Spell = (option: StrategyMistake["option"]) => string;
const FLAGS: Record<StrategyMistake["option"], string> = {
  strategy: "--strategy",
  order: "--order",
  measure: "--measure",
  granularity: "--granularity",
  pick: "--pick",
  withinRound: "--within-round",
  select: "--select",
  budget: "--budget",
  diversityWeight: "--diversity-weight",
};
/** The command-line spelling (also used by the library, whose options mirror the flags). */
export const flagSpelling: Spell = (o) => FLAGS[o];

export function isStrategy(v: unknown): v is Strategy {
  return typeof v === "string" && (STRATEGIES as readonly string[]).includes(v);
}

const list = (names: readonly string[]) => names.join(names.length === 2 ? " and " : ", ");
const orList = (names: readonly string[]) => names.join(" or ");

/**
 * The first mistake in a strategy choice, or undefined when it is valid. The rules (the library's since
 * the start): each option must be one of its values; an option a strategy does not take may be given only at
 * its neutral value (granularity instance, pick nearest, withinRound index, select min), measure not at all;
 * select max/min+max need a budget, select diverse needs a budget and works with every strategy.
 */
export function strategyMistake(c: StrategyChoice, spell: Spell): StrategyMistake | undefined {
  const s = c.strategy;
  if (s === undefined)
    return {
      option: "strategy",
      message: "a strategy is required",
      fix: `Expected one of: ${list(STRATEGIES)}.`,
    };
  if (!isStrategy(s))
    return {
      option: "strategy",
      message: `unknown ${spell("strategy").replace(/^--/, "")} ${JSON.stringify(s)}`,
      fix: `Expected one of: ${STRATEGIES.join(", ")}.`,
    };
  const entry = STRATEGY_TABLE[s];
  for (const option of ["measure", "granularity", "pick", "withinRound", "select"] as const) {
    const v = c[option];
    const { values } = OPTION_RULES[option];
    if (v !== undefined && !(typeof v === "string" && values.includes(v)))
      return {
        option,
        message: `unknown ${spell(option).replace(/^--/, "")} ${JSON.stringify(v)}`,
        fix: `Expected one of: ${values.join(", ")}.`,
      };
  }
  const diverse = c.select === "diverse";
  if (c.order !== undefined) {
    if (c.order === "selection" && !diverse)
      return {
        option: "order",
        message: `${spell("order")} selection keeps the order of a diverse selection`,
        fix: `Add ${spell("budget")} M ${spell("select")} diverse, or choose another ${spell("order")}.`,
      };
    const allowed = [...entry.orders, ...(diverse ? (["selection"] as const) : [])];
    if (!(typeof c.order === "string" && (allowed as string[]).includes(c.order)))
      return {
        option: "order",
        message: `${spell("order")} ${JSON.stringify(c.order)} is not valid for ${spell("strategy")} ${s}${entry.kind === "schedule" ? " (a task schedule)" : ""}`,
        fix:
          entry.kind === "shuffle"
            ? `Drop ${spell("order")}: ${spell("strategy")} ${s} shuffles every row.`
            : `Expected one of: ${allowed.join(", ")}.`,
      };
  }
  const takers = (option: StrategyOption) =>
    STRATEGIES.filter((t) => STRATEGY_TABLE[t].takes.includes(option));
  for (const option of ["measure", "granularity", "pick", "withinRound"] as const) {
    const v = c[option];
    if (v === undefined || entry.takes.includes(option) || v === OPTION_RULES[option].neutral) continue;
    const who = takers(option);
    return {
      option,
      message: `${spell(option)}${option === "measure" ? "" : ` ${v}`} applies to ${spell("strategy")} ${list(who)} only (got ${spell("strategy")} ${s})`,
      fix: `Drop ${spell(option)}, or use ${spell("strategy")} ${orList(who)}.`,
    };
  }
  if (c.withinRound === "shuffle" && (c.order === "random" || diverse))
    return {
      option: "withinRound",
      message: `${spell("withinRound")} shuffle keeps TMA's rounds in order and shuffles inside them; ${c.order === "random" ? `${spell("order")} random shuffles every row already` : `${spell("select")} diverse orders the selection itself`}`,
      fix: `Drop ${spell("withinRound")}, or use ${spell("order")} nearest-first or farthest-first.`,
    };
  if (c.diversityWeight !== undefined && !diverse)
    return {
      option: "diversityWeight",
      message: `${spell("diversityWeight")} applies to ${spell("select")} diverse`,
      fix: `Add ${spell("budget")} M ${spell("select")} diverse, or drop ${spell("diversityWeight")}.`,
    };
  if (diverse && c.budget === undefined)
    return {
      option: "select",
      message: `${spell("select")} diverse needs ${spell("budget")}`,
      fix: `Add ${spell("budget")} M (rows to keep).`,
    };
  if (c.select !== undefined && !diverse && c.select !== OPTION_RULES.select.neutral) {
    if (!entry.takes.includes("select")) {
      const who = takers("select");
      return {
        option: "select",
        message: `${spell("select")} ${c.select} applies to ${spell("strategy")} ${list(who)} only; with ${spell("strategy")} ${s} a budget keeps the first M rows`,
        fix: `Drop ${spell("select")}, or use ${spell("strategy")} ${orList(who)}.`,
      };
    }
    if (c.budget === undefined)
      return {
        option: "select",
        message: `${spell("select")} ${c.select} needs ${spell("budget")}`,
        fix: `Add ${spell("budget")} M (rows to keep).`,
      };
  }
  return undefined;
}

/** The order a strategy uses when none is given. */
export function defaultOrder(strategy: Strategy): Order {
  return STRATEGY_TABLE[strategy].defaultOrder;
}

/** Whether a strategy orders rows by their embeddings (tma, rank). */
export function isSimilarity(strategy: Strategy): boolean {
  return STRATEGY_TABLE[strategy].kind === "similarity";
}
