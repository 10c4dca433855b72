import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { defaultWithinRound } from "../arrange/resolve-options.js";
import { isSimilarity, isStrategy, strategyMistake } from "../arrange/strategies.js";
import { ArrangeError } from "../core/errors.js";
import type { Granularity, Measure, Order, Select, Strategy, WithinRound } from "../core/types.js";

/**
 * Rows of a TMA arrangement's rounds: `{ from, to }` (1-based, inclusive) or `{ group, of }` — the
 * rounds 1..N cut into `of` contiguous groups of (nearly) equal numbers of rounds, group `group`
 * (1-based). `of` may be omitted in a spec: the experiment's round-group count is used.
 */
export type RoundFilter = { from: number; to: number } | { group: number; of?: number };

/** One arm of an experiment: how its training data is arranged (with the project's `arrange`). */
export interface ArmSpec {
  /** Name in tables, charts and verdicts; unique in the experiment. */
  label: string;
  strategy: Strategy;
  /** rank only (default: the experiment's --measure, WSD). */
  measure?: Measure;
  order?: Order;
  granularity?: Granularity;
  /** Rows to keep (appendix C.3); "M" = the experiment's budget (--budget). */
  budget?: number | "M";
  select?: Exclude<Select, "diverse">;
  /** TMA only: train on the rows of these rounds of the nearest-first arrangement (Fig. 5). */
  rounds?: RoundFilter;
  /** TMA nearest/farthest-first only: rows inside a round by training index (default) or shuffled per seed. */
  withinRound?: WithinRound;
}

/** An ordered comparison: the arms' metric (mean over seeds, and per seed) should rise in this order. */
export interface CompareSpec {
  order: string[];
  /** `area` (mean test loss over the window, default) or `finalLoss`. */
  metric?: "area" | "finalLoss";
}

export interface ExperimentSpec {
  name: string;
  description?: string;
  /** Figure of arXiv 2406.11721 this reproduces, if any. */
  figure?: string;
  /** M of arms with `budget: "M"` (default: half the training rows; --budget overrides). */
  budget?: number;
  /** Groups of rounds for `rounds: { group }` arms (default 3; --round-groups overrides). */
  roundGroups?: number;
  /**
   * Rounds that `rounds: { group }` arms cut into groups (1-based, inclusive; default every round;
   * --round-range overrides). The paper's Fig. 5 groups only the first 30 rounds.
   */
  roundRange?: { from: number; to: number };
  /** Round-filter arms are cut to the smallest one's row count, so every group trains on as many rows (default true). */
  equalRounds?: boolean;
  arms: ArmSpec[];
  compare?: CompareSpec[];
}

export const BUILTIN_EXPERIMENTS = ["fig2", "fig3-left", "fig3-right", "fig4", "fig5", "fig14"] as const;
export type BuiltinExperiment = (typeof BUILTIN_EXPERIMENTS)[number];

const NFT_RT_FFT: CompareSpec = { order: ["NFT", "RT", "FFT"], metric: "area" };

/** The paper's experiments as specs (arXiv 2406.11721). */
export function builtinSpec(name: BuiltinExperiment): ExperimentSpec {
  switch (name) {
    case "fig2":
      return {
        name,
        figure: "Fig. 2",
        description:
          "Task schedules: every row shuffled (Random), one row of each task in turn (Round-robin) and all rows of a task together (Cluster); the task order of Round-robin and Cluster is shuffled with the seed (arXiv 2406.11721, Fig. 2)",
        arms: [
          { label: "Random", strategy: "random" },
          { label: "Round-robin", strategy: "round-robin", order: "random" },
          { label: "Cluster", strategy: "cluster", order: "random" },
        ],
        compare: [],
      };
    case "fig3-left":
      return {
        name,
        figure: "Fig. 3 (left)",
        description:
          "Test loss on unseen tasks against training steps for the same examples ranked by a similarity measure nearest first (NFT), shuffled (RT) and farthest first (FFT) (arXiv 2406.11721, Fig. 3 left)",
        arms: [
          { label: "NFT", strategy: "rank", order: "nearest-first" },
          { label: "RT", strategy: "rank", order: "random" },
          { label: "FFT", strategy: "rank", order: "farthest-first" },
        ],
        compare: [NFT_RT_FFT],
      };
    case "fig3-right":
      return {
        name,
        figure: "Fig. 3 (right)",
        description:
          "Granularity: the same examples ranked nearest first by a similarity measure per task (coarse: a task's embedding is the mean of its examples', its rows stay together) or per example (fine) (arXiv 2406.11721, Fig. 3 right)",
        arms: [
          { label: "fine", strategy: "rank", order: "nearest-first", granularity: "instance" },
          { label: "coarse", strategy: "rank", order: "nearest-first", granularity: "task" },
        ],
        compare: [{ order: ["fine", "coarse"], metric: "area" }],
      };
    case "fig4":
      return {
        name,
        figure: "Fig. 4",
        description:
          "Test-centric Multi-turn Arrangement: the TMA rounds in order (NFT), shuffled (RT) and in reverse (FFT) (arXiv 2406.11721, Fig. 4)",
        arms: [
          { label: "NFT", strategy: "tma", order: "nearest-first" },
          { label: "RT", strategy: "tma", order: "random" },
          { label: "FFT", strategy: "tma", order: "farthest-first" },
        ],
        compare: [NFT_RT_FFT],
      };
    case "fig5":
      return {
        name,
        figure: "Fig. 5",
        description:
          "Early-selected data: the TMA rounds cut into contiguous groups (first, middle, last), each group's rows trained on alone, every group on as many rows (arXiv 2406.11721, Fig. 5)",
        roundGroups: 3,
        equalRounds: true,
        arms: [1, 2, 3].map((g) => ({
          label: `G${g}`,
          strategy: "tma" as const,
          order: "nearest-first" as const,
          rounds: { group: g },
        })),
        compare: [{ order: ["G1", "G2", "G3"], metric: "area" }],
      };
    case "fig14":
      return {
        name,
        figure: "Fig. 14",
        description:
          "A budget of M rows from the TMA rounds (appendix C.3): NFT/FFT/RT = the first M/2 and the last M/2 rows nearest first, farthest first, shuffled; MIN = the first M (nearest first); MAX = the last M (farthest first) (arXiv 2406.11721, Fig. 14)",
        arms: [
          { label: "NFT", strategy: "tma", order: "nearest-first", budget: "M", select: "min+max" },
          { label: "RT", strategy: "tma", order: "random", budget: "M", select: "min+max" },
          { label: "FFT", strategy: "tma", order: "farthest-first", budget: "M", select: "min+max" },
          { label: "MIN", strategy: "tma", order: "nearest-first", budget: "M", select: "min" },
          { label: "MAX", strategy: "tma", order: "farthest-first", budget: "M", select: "max" },
        ],
        compare: [
          NFT_RT_FFT,
          { order: ["MIN", "MAX"], metric: "area" },
          { order: ["FFT", "MAX"], metric: "finalLoss" },
        ],
      };
  }
}

export function isBuiltin(name: string): name is BuiltinExperiment {
  return (BUILTIN_EXPERIMENTS as readonly string[]).includes(name);
}

const ORDER_ALIASES: Record<string, Order> = {
  nft: "nearest-first",
  fft: "farthest-first",
  rt: "random",
};
const GRANULARITY_ALIASES: Record<string, Granularity> = { fine: "instance", coarse: "task" };
const _ORDERS: readonly Order[] = ["nearest-first", "farthest-first", "random", "input"];
const SELECTS = ["min", "max", "min+max"] as const;
const ARM_KEYS = [
  "label",
  "strategy",
  "measure",
  "order",
  "granularity",
  "budget",
  "select",
  "rounds",
  "withinRound",
];
const SPEC_KEYS = [
  "name",
  "description",
  "figure",
  "budget",
  "roundGroups",
  "roundRange",
  "equalRounds",
  "arms",
  "compare",
];

/** A file-name-safe id of an arm label: `NFT` -> `nft`, `Round-robin` -> `round-robin`. */
export function armId(label: string): string {
  return (
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "arm"
  );
}

/** Whether an arm's arrangement depends on the seed (a shuffle): it is arranged once per seed. */
export function armIsSeeded(arm: ArmSpec): boolean {
  if (arm.strategy === "random" || arm.order === "random") return true;
  if (arm.rounds !== undefined) return false;
  return (
    (arm.withinRound ?? defaultWithinRound(arm.strategy, arm.order, arm.select, arm.granularity)) ===
    "shuffle"
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;

/**
 * Checks a spec (parsed from a file, or built in) and returns it with aliases resolved (nft -> nearest-first,
 * fine/coarse -> instance/task). Every mistake is a usage ArrangeError naming `source`, the field and the fix.
 */
export function validateSpec(raw: unknown, source: string): ExperimentSpec {
  const fail = (message: string, field: string, fix: string): never => {
    throw new ArrangeError("usage", `experiment spec: ${message}`, { file: source, option: field, fix });
  };
  if (!isObject(raw))
    fail("the spec is not an object", "(top level)", "write an object with name and arms (see the README)");
  const spec = raw as Record<string, unknown>;
  for (const k of Object.keys(spec))
    if (!SPEC_KEYS.includes(k)) fail(`unknown field "${k}"`, k, `use only: ${SPEC_KEYS.join(", ")}`);
  const name = spec.name;
  if (typeof name !== "string" || name.trim() === "")
    fail("no name", "name", "add name: a short name for the experiment");
  if (spec.description !== undefined && typeof spec.description !== "string")
    fail("description is not text", "description", "write description: some text, or drop it");
  if (spec.figure !== undefined && typeof spec.figure !== "string")
    fail("figure is not text", "figure", 'write e.g. figure: "Fig. 4", or drop it');
  if (spec.budget !== undefined && !isPosInt(spec.budget))
    fail(
      `budget must be a positive integer, got ${JSON.stringify(spec.budget)}`,
      "budget",
      "write e.g. budget: 1000",
    );
  if (spec.roundGroups !== undefined && !isPosInt(spec.roundGroups))
    fail(
      `roundGroups must be a positive integer, got ${JSON.stringify(spec.roundGroups)}`,
      "roundGroups",
      "write e.g. roundGroups: 3",
    );
  if (spec.roundRange !== undefined) {
    const r = spec.roundRange as Record<string, unknown>;
    if (
      !isObject(r) ||
      Object.keys(r).some((k) => k !== "from" && k !== "to") ||
      !isPosInt(r.from) ||
      !isPosInt(r.to) ||
      r.from > r.to
    )
      fail(
        `roundRange must be { from, to } with 1 <= from <= to, got ${JSON.stringify(spec.roundRange)}`,
        "roundRange",
        "write e.g. roundRange: { from: 1, to: 30 }",
      );
  }
  if (spec.equalRounds !== undefined && typeof spec.equalRounds !== "boolean")
    fail("equalRounds must be true or false", "equalRounds", "write equalRounds: true");
  if (!Array.isArray(spec.arms) || spec.arms.length === 0)
    fail("no arms", "arms", "add arms: a list of { label, strategy, ... } (see the README)");
  const arms: ArmSpec[] = [];
  const ids = new Map<string, string>();
  (spec.arms as unknown[]).forEach((rawArm, i) => {
    const at = (f: string) => `arms[${i}]${f === "" ? "" : `.${f}`}`;
    if (!isObject(rawArm))
      fail(`arm ${i} is not an object`, at(""), "write { label: NFT, strategy: rank, ... }");
    const a = rawArm as Record<string, unknown>;
    for (const k of Object.keys(a))
      if (!ARM_KEYS.includes(k))
        fail(`arm ${i}: unknown field "${k}"`, at(k), `use only: ${ARM_KEYS.join(", ")}`);
    if (typeof a.label !== "string" || a.label.trim() === "")
      fail(`arm ${i} has no label`, at("label"), "add label: a short unique name, e.g. NFT");
    const label = (a.label as string).trim();
    const name = `arm ${i} (${label})`;
    const id = armId(label);
    if (ids.has(id))
      fail(
        `${name}: label "${label}" is not unique (same file name as "${ids.get(id)}")`,
        at("label"),
        "give every arm its own label",
      );
    ids.set(id, label);
    // The strategy's rules (which orders and options each strategy takes) are the library's, in one
    // wording: src/arrange/strategies.ts. Aliases (nft/fft/rt, fine/coarse) are resolved first.
    const order = typeof a.order === "string" ? (ORDER_ALIASES[a.order.toLowerCase()] ?? a.order) : a.order;
    const granularity =
      typeof a.granularity === "string"
        ? (GRANULARITY_ALIASES[a.granularity.toLowerCase()] ?? a.granularity)
        : a.granularity;
    if (a.select === "diverse")
      fail(
        `${name}: select diverse is not available in an experiment`,
        at("select"),
        `use one of: ${SELECTS.join(", ")}`,
      );
    if (a.budget === undefined && a.select !== undefined)
      fail(`${name}: select needs a budget`, at("select"), "add budget: M (or a number of rows)");
    const mistake = strategyMistake({ ...a, order, granularity, budget: a.budget }, (option) =>
      option === "diversityWeight" ? "diversityWeight" : option,
    );
    if (mistake !== undefined) {
      // Name the order as written in the spec (nft rather than nearest-first).
      const message =
        mistake.option === "order"
          ? mistake.message.replace(JSON.stringify(order), JSON.stringify(a.order))
          : mistake.message;
      fail(
        `${name}: ${message}`,
        at(mistake.option),
        mistake.option === "order" &&
          typeof order === "string" &&
          isStrategy(a.strategy) &&
          isSimilarity(a.strategy)
          ? `${mistake.fix} (or nft, rt, fft)`
          : mistake.fix,
      );
    }
    const strategy = a.strategy as Strategy;
    const arm: ArmSpec = { label, strategy };
    if (a.measure !== undefined) arm.measure = a.measure as Measure;
    if (order !== undefined) arm.order = order as Order;
    if (granularity !== undefined) arm.granularity = granularity as Granularity;
    if (a.budget !== undefined) {
      if (a.budget !== "M" && !isPosInt(a.budget))
        fail(
          `${name}: budget must be a positive integer or "M", got ${JSON.stringify(a.budget)}`,
          at("budget"),
          "write e.g. budget: 1000, or budget: M for the experiment's --budget",
        );
      arm.budget = a.budget as number | "M";
    }
    if (a.select !== undefined) {
      arm.select = a.select as ArmSpec["select"];
    }
    if (a.rounds !== undefined) {
      const r = a.rounds;
      if (strategy !== "tma")
        fail(
          `${name}: rounds applies to strategy tma, not ${strategy}`,
          at("rounds"),
          "use strategy: tma, or drop rounds",
        );
      if (arm.budget !== undefined || arm.select !== undefined)
        fail(
          `${name}: rounds cannot be combined with budget or select`,
          at("rounds"),
          "drop budget and select",
        );
      if (arm.order !== undefined && arm.order !== "nearest-first")
        fail(
          `${name}: a rounds arm trains its rows in TMA order (nearest-first)`,
          at("order"),
          "drop order, or write order: nearest-first",
        );
      const keys = isObject(r) ? Object.keys(r).sort().join(",") : "";
      if (isObject(r) && keys === "from,to" && isPosInt(r.from) && isPosInt(r.to) && r.from <= r.to)
        arm.rounds = { from: r.from, to: r.to };
      else if (
        isObject(r) &&
        (keys === "group" || keys === "group,of") &&
        isPosInt(r.group) &&
        (r.of === undefined || (isPosInt(r.of) && r.group <= r.of))
      )
        arm.rounds = r.of === undefined ? { group: r.group } : { group: r.group, of: r.of as number };
      else
        fail(
          `${name}: rounds must be { from, to } (1-based rounds, from <= to) or { group, of } (group 1..of), got ${JSON.stringify(r)}`,
          at("rounds"),
          "write e.g. rounds: { group: 1, of: 3 } or rounds: { from: 1, to: 5 }",
        );
    }
    if (a.withinRound !== undefined) {
      if (a.withinRound === "shuffle" && arm.rounds !== undefined)
        fail(
          `${name}: withinRound shuffle applies to strategy tma with order nearest-first or farthest-first and no rounds filter`,
          at("withinRound"),
          "drop withinRound",
        );
      arm.withinRound = a.withinRound as WithinRound;
    }
    arms.push(arm);
  });
  const labels = arms.map((a) => a.label);
  const compare: CompareSpec[] = [];
  if (spec.compare !== undefined) {
    if (!Array.isArray(spec.compare))
      fail("compare is not a list", "compare", "write compare: [[NFT, RT, FFT]]");
    (spec.compare as unknown[]).forEach((c, i) => {
      const at = `compare[${i}]`;
      const obj = Array.isArray(c) ? { order: c } : c;
      if (!isObject(obj) || !Array.isArray(obj.order) || obj.order.length < 2)
        fail(
          `${at} is not a list of two or more arm labels`,
          at,
          "write e.g. [NFT, RT, FFT] or { order: [NFT, FFT], metric: finalLoss }",
        );
      const o = obj as { order: unknown[]; metric?: unknown };
      for (const k of Object.keys(o))
        if (k !== "order" && k !== "metric")
          fail(`${at}: unknown field "${k}"`, `${at}.${k}`, "use only: order, metric");
      for (const l of o.order)
        if (typeof l !== "string" || !labels.includes(l))
          fail(
            `${at}: ${JSON.stringify(l)} is not an arm label`,
            at,
            `use labels of the arms: ${labels.join(", ")}`,
          );
      if (o.metric !== undefined && o.metric !== "area" && o.metric !== "finalLoss")
        fail(`${at}: unknown metric ${JSON.stringify(o.metric)}`, `${at}.metric`, "use area or finalLoss");
      compare.push({ order: o.order as string[], metric: (o.metric as CompareSpec["metric"]) ?? "area" });
    });
  }
  const out: ExperimentSpec = { name: (name as string).trim(), arms, compare };
  if (spec.description !== undefined) out.description = spec.description as string;
  if (spec.figure !== undefined) out.figure = spec.figure as string;
  if (spec.budget !== undefined) out.budget = spec.budget as number;
  if (spec.roundGroups !== undefined) out.roundGroups = spec.roundGroups as number;
  if (spec.roundRange !== undefined) {
    const r = spec.roundRange as { from: number; to: number };
    out.roundRange = { from: r.from, to: r.to };
  }
  if (spec.equalRounds !== undefined) out.equalRounds = spec.equalRounds as boolean;
  return out;
}

/** A built-in name, or a spec file (.json, .yaml, .yml): the checked spec and where it came from. */
export async function loadSpec(nameOrPath: string): Promise<{ spec: ExperimentSpec; source: string }> {
  if (isBuiltin(nameOrPath)) {
    const source = `built-in experiment ${nameOrPath}`;
    return { spec: validateSpec(builtinSpec(nameOrPath), source), source };
  }
  const ext = extname(nameOrPath).toLowerCase();
  if (![".json", ".yaml", ".yml"].includes(ext))
    throw new ArrangeError("usage", `unknown experiment "${nameOrPath}"`, {
      option: "NAME|SPEC",
      fix: `use a built-in experiment (${BUILTIN_EXPERIMENTS.join(", ")}) or a spec file ending in .json, .yaml or .yml`,
    });
  let text: string;
  try {
    text = await readFile(nameOrPath, "utf8");
  } catch (cause) {
    throw new ArrangeError("io", `cannot read the experiment spec: ${(cause as Error).message}`, {
      file: nameOrPath,
      fix: "pass an existing .json or .yaml spec file",
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = ext === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    const linePos = (cause as { linePos?: { line: number }[] }).linePos;
    throw new ArrangeError(
      "usage",
      `the experiment spec does not parse: ${(cause as Error).message.split("\n")[0]}`,
      {
        file: nameOrPath,
        line: linePos?.[0]?.line,
        fix: ext === ".json" ? "write valid JSON" : "write valid YAML",
        cause,
      },
    );
  }
  return { spec: validateSpec(raw, nameOrPath), source: nameOrPath };
}

/** Rounds of group g (1-based) of `of` contiguous groups of rounds 1..n, as an inclusive range. */
export function roundGroupRange(n: number, group: number, of: number): { from: number; to: number } {
  return { from: Math.floor(((group - 1) * n) / of) + 1, to: Math.floor((group * n) / of) };
}
