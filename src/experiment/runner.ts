import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ArrangeError, usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Measure, WithinRound } from "../core/types.js";
import { atomicWrite, writeAll } from "../data/atomic.js";
import { checkOutputPaths } from "../data/outputs.js";
import { checkOverlapMode, exactOverlapError, findExactOverlap, type OverlapMode } from "../data/overlap.js";
import { readDataset } from "../data/read.js";
import { type ArrangeOptions, arrange } from "../pipeline/arrange.js";
import type { TrainCurves, TrainOptions } from "../train/run.js";
import { train } from "../train/run.js";
import { VERSION } from "../version.js";
import { meanAndStd, meanOverSteps } from "./area.js";
import { type ArmSpec, armId, armIsSeeded, type CompareSpec, type ExperimentSpec } from "./spec.js";
import { splitByTask } from "./split.js";

/** Training options passed to every run (data, eval, out, seed and label are set per run). */
export type RunTrainOptions = Omit<TrainOptions, "data" | "eval" | "out" | "seed" | "label" | "onEvent">;

export interface ExperimentOptions {
  spec: ExperimentSpec;
  /** Where the spec came from (a file, or "built-in experiment NAME"): named in errors. */
  specSource?: string;
  /** Training and test sets, or `data` + `holdout` for a task-level split of one directory. */
  train?: string;
  test?: string;
  data?: string;
  holdout?: string[];
  out: string;
  seeds?: number[];
  /** Only these arms (labels, case-insensitive); default all. */
  arms?: string[];
  /** Measure of rank arms that name none (default WSD). */
  measure?: Measure;
  embedder?: string;
  ngramDims?: number;
  /** use-lite: embedding worker threads of the arrangements (default: the cores available). */
  embedThreads?: number;
  /** M of `budget: "M"` arms (default: the spec's, else half the training rows). */
  budget?: number;
  /** Groups of rounds of `rounds: { group }` arms (default: the spec's, else 3). */
  roundGroups?: number;
  /**
   * Rows inside a TMA round for the tma nearest/farthest-first arms that set no `withinRound` of their own
   * (default: each arm's, else shuffled with the seed, as `arrange`).
   */
  withinRound?: WithinRound;
  /** Training rows equal to a test row: "error" (default, checked before any arm), "drop" or "keep". */
  overlap?: OverlapMode;
  /** Every arm leaves out training rows at or above this cosine similarity to a test row. */
  decontaminate?: number;
  /** Area window: steps 0..aucSteps (default: every step). */
  aucSteps?: number;
  /** Training runs at once (default 1); with more than one, each run gets --threads 1 unless given. */
  parallel?: number;
  /** Reuse runs whose curves.json exists and whose settings match (default true). */
  resume?: boolean;
  /** Write OUT/report.html at the end (default true). */
  report?: boolean;
  /**
   * Analyze every arm's arranged data against the test set (default true): OUT/analysis/<file>.json
   * with the similarity curves at every evaluated step, drawn against the test loss in the report.
   */
  analyze?: boolean;
  trainOptions?: RunTrainOptions;
  onProgress?: ProgressSink;
}

export interface ExperimentRun {
  /** Arm label (also the run label's first word). */
  arm: string;
  /** The arm's order, when it has one (fig3-left's field). */
  order?: string;
  label: string;
  seed: number;
  arranged: string;
  runDir: string;
  /** Training rows of the arrangement. */
  rows: number;
  /** Mean test loss over the area window (trapezoid area / steps): lower = generalizes sooner. */
  area: number | null;
  finalLoss: number | null;
  minLoss: number | null;
  stepsPerSecond: number | null;
  /** True when the run was found complete in OUT and not trained again. */
  reused: boolean;
  /** The analysis of the run's arranged data (`analyze`, one checkpoint per evaluated step), when made. */
  analysis?: string;
}

export interface CurveSummaryPoint {
  step: number;
  examples: number;
  /** Mean test loss over seeds, its standard deviation (n-1), minimum and maximum, and how many seeds. */
  loss: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export interface ArmSummary {
  arm: string;
  order?: string;
  label: string;
  runs: number;
  rows: number;
  area: { mean: number; std: number } | null;
  finalLoss: { mean: number; std: number } | null;
  /** Test loss per evaluated step over seeds: mean, spread. */
  curve: CurveSummaryPoint[];
}

export interface Comparison {
  metric: "area" | "finalLoss";
  /** Arm labels in the expected order, lowest first. */
  order: string[];
  /** e.g. "NFT < RT < FFT". */
  statement: string;
  means: (number | null)[];
  /** Whether the means over seeds are strictly increasing in this order. */
  holdsOnMeans: boolean;
  seeds: number;
  /** Seeds on which every arm's value is strictly increasing in this order. */
  seedsHolding: number;
  perSeed: { seed: number; values: (number | null)[]; holds: boolean }[];
}

export interface ExperimentResult {
  tool: "instruct-arrange";
  version: string;
  kind: "experiment";
  name: string;
  description: string;
  figure: string | null;
  spec: ExperimentSpec;
  specSource: string;
  train: string;
  test: string;
  split: { holdout: string[]; trainFiles: number; testFiles: number } | null;
  measure: Measure;
  embedder: string;
  seeds: number[];
  aucSteps: number | null;
  /** The budget M and round groups used, when arms needed them. */
  budget: number | null;
  roundGroups: number | null;
  /** The training settings every run shared (resolved model, steps, ...), from the first run's curves. */
  training: {
    model: string;
    steps: number;
    batchSize: number;
    evalEvery: number;
    testExamples: number;
  } | null;
  runs: ExperimentRun[];
  summary: ArmSummary[];
  verdict: { comparisons: Comparison[] };
}

/** Arranged file -> its analysis file: OUT/analysis/<name>.json beside OUT/arranged/<name>.jsonl. */
export function analysisPathOf(out: string, arranged: string): string {
  const name = arranged.slice(arranged.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
  return join(out, "analysis", `${name}.json`);
}

/** A run directory's resume key: the settings its curves were trained with. */
export const RUN_KEY_FILE = "experiment-run.json";

export async function sha256File(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/**
 * SHA-256 of a file, or of a directory's files (relative names and contents, in name order): the test
 * set's identity in a run's resume key, so a moved or copied experiment directory still resumes.
 */
async function sha256Path(path: string): Promise<string> {
  if (!(await stat(path)).isDirectory()) return sha256File(path);
  // Names only, then stat: split test sets are symbolic links, which a Dirent does not call files.
  const names = (await readdir(path, { recursive: true })).sort();
  const h = createHash("sha256");
  let files = 0;
  for (const name of names) {
    const file = join(path, name);
    if (!(await stat(file)).isFile()) continue;
    h.update(`${name}\u0000${await sha256File(file)}\n`);
    files++;
  }
  h.update(`files ${files}\n`);
  return h.digest("hex");
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await atomicWrite(path, (fh) => writeAll(fh, Buffer.from(`${JSON.stringify(value, null, 2)}\n`)));
}

/** Rounds of group g (1-based) of `of` contiguous groups of rounds 1..n, as an inclusive range. */
export function roundGroupRange(n: number, group: number, of: number): { from: number; to: number } {
  return { from: Math.floor(((group - 1) * n) / of) + 1, to: Math.floor((group * n) / of) };
}

/** Run `fn` on every item, at most `n` at once; on a failure, start no more, wait for the others, rethrow. */
async function pool<T>(
  n: number,
  items: readonly T[],
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

export function compareArms(
  c: CompareSpec,
  summary: ArmSummary[],
  runs: ExperimentRun[],
  seeds: number[],
): Comparison | undefined {
  const metric = c.metric ?? "area";
  if (!c.order.every((l) => summary.some((s) => s.label === l))) return undefined;
  const increasing = (v: (number | null)[]) =>
    v.every((x) => x !== null) && v.every((x, i) => i === 0 || (v[i - 1] as number) < (x as number));
  const means = c.order.map((l) => summary.find((s) => s.label === l)![metric]?.mean ?? null);
  const perSeed = seeds.map((seed) => {
    const values = c.order.map((l) => {
      const r = runs.find((x) => x.arm === l && x.seed === seed);
      return r === undefined ? null : r[metric];
    });
    return { seed, values, holds: increasing(values) };
  });
  return {
    metric,
    order: c.order,
    statement: c.order.join(" < "),
    means,
    holdsOnMeans: increasing(means),
    seeds: seeds.length,
    seedsHolding: perSeed.filter((p) => p.holds).length,
    perSeed,
  };
}

/**
 * Runs an experiment: every arm's training data arranged with the project's own `arrange` (once, or once
 * per seed when the arm shuffles), every arm trained with the same training options on every seed (up to
 * `parallel` runs at once; complete runs in OUT are reused), then per-arm means and spreads over seeds, the
 * spec's ordered comparisons, OUT/experiment.json and OUT/report.html.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const onProgress = options.onProgress ?? noProgress;
  const say = (message: string, done = 0, total?: number) =>
    onProgress({ stage: "experiment", done, total, unit: "runs", message });
  const spec = options.spec;
  const specSource = options.specSource ?? `experiment ${spec.name}`;
  const out = resolve(options.out);
  const parallel = options.parallel ?? 1;
  if (!Number.isSafeInteger(parallel) || parallel < 1)
    throw usageError(
      `--parallel must be a positive integer, got ${parallel}`,
      "--parallel",
      "pass e.g. --parallel 2",
    );
  const seeds = options.seeds ?? [0];
  if (seeds.length === 0) throw usageError("nothing to run: no seeds", "--seeds", "pass e.g. --seeds 0,1,2");
  if (new Set(seeds).size !== seeds.length)
    throw usageError(`--seeds lists a seed twice: ${seeds.join(",")}`, "--seeds", "give every seed once");
  let arms = spec.arms;
  if (options.arms !== undefined) {
    const wanted = options.arms.map((a) => a.toLowerCase());
    for (const w of options.arms)
      if (!arms.some((a) => a.label.toLowerCase() === w.toLowerCase()))
        throw usageError(
          `experiment ${spec.name} has no arm "${w}"`,
          "--arms",
          `use labels of its arms: ${arms.map((a) => a.label).join(", ")}`,
        );
    arms = arms.filter((a) => wanted.includes(a.label.toLowerCase()));
  }
  if (arms.length === 0) throw usageError("nothing to run: no arms", "--arms", "name at least one arm");
  if (options.withinRound !== undefined) {
    const within = options.withinRound;
    const applies = (a: ArmSpec) => a.strategy === "tma" && a.rounds === undefined && a.order !== "random";
    if (within === "shuffle" && !arms.some(applies))
      throw usageError(
        `--within-round shuffle: experiment ${spec.name} has no TMA arm with order nearest-first or farthest-first`,
        "--within-round",
        "drop --within-round (it shuffles the rows inside TMA rounds)",
      );
    arms = arms.map((a) => (applies(a) && a.withinRound === undefined ? { ...a, withinRound: within } : a));
  }

  await checkOutputPaths(
    [
      { flag: "--train", path: options.train },
      { flag: "--test", path: options.test },
      { flag: "--data", path: options.data },
    ],
    [{ flag: "--out", path: out, kind: "dir" }],
  );
  await mkdir(out, { recursive: true });
  let trainPath: string;
  let testPath: string;
  let split: ExperimentResult["split"] = null;
  if (options.data !== undefined) {
    if (options.train !== undefined || options.test !== undefined)
      throw usageError("give either --data with --holdout, or --train and --test", "--data");
    const s = await splitByTask(options.data, options.holdout ?? [], join(out, "split"));
    trainPath = s.train;
    testPath = s.test;
    split = {
      holdout: options.holdout ?? [],
      trainFiles: s.trainFiles.length,
      testFiles: s.testFiles.length,
    };
    say(`task split: ${s.trainFiles.length} training files, ${s.testFiles.length} held-out test files`);
  } else {
    if (options.train === undefined || options.test === undefined)
      throw usageError("give --train and --test, or --data with --holdout", "--train");
    trainPath = options.train;
    testPath = options.test;
  }
  const measure = options.measure ?? "wsd";
  const embedder = options.embedder ?? "ngram";

  // No arm may train on the target: exact copies of test rows are found once, before any arm runs.
  const overlapMode = checkOverlapMode(options.overlap);
  {
    const trainDs = await readDataset(trainPath, { label: "train", texts: false });
    const testDs = await readDataset(testPath, { label: "test", texts: false });
    const exact = await findExactOverlap(trainDs, testDs);
    const n = exact.trainRows.length;
    if (n > 0) {
      if (overlapMode === "error") throw exactOverlapError(trainDs, testDs, exact);
      say(
        overlapMode === "drop"
          ? `overlap: every arm leaves out the ${n} training row${n === 1 ? "" : "s"} equal to a test row (--overlap drop)`
          : `warning: ${n} training row${n === 1 ? "" : "s"} equal${n === 1 ? "s" : ""} a test row and ${n === 1 ? "is" : "are"} kept (--overlap keep)`,
      );
    }
  }

  // The budget M, when an arm asks for it: --budget, the spec's, else half the training rows.
  const needsM = arms.some((a) => a.budget === "M");
  let budget: number | null = null;
  if (needsM) {
    budget = options.budget ?? spec.budget ?? null;
    if (budget === null) {
      const ds = await readDataset(trainPath, { label: "train", texts: false });
      budget = Math.max(1, Math.floor(ds.count / 2));
      say(`budget M = ${budget} (half the ${ds.count} training rows; set it with --budget)`);
    }
    if (!Number.isSafeInteger(budget) || budget < 1)
      throw usageError(
        `--budget must be a positive integer, got ${budget}`,
        "--budget",
        "pass e.g. --budget 1000",
      );
  }
  const usesGroups = arms.some(
    (a) => a.rounds !== undefined && "group" in a.rounds && a.rounds.of === undefined,
  );
  const roundGroups = usesGroups ? (options.roundGroups ?? spec.roundGroups ?? 3) : null;
  if (roundGroups !== null) {
    if (!Number.isSafeInteger(roundGroups) || roundGroups < 1)
      throw usageError(
        `--round-groups must be a positive integer, got ${roundGroups}`,
        "--round-groups",
        "pass e.g. --round-groups 3",
      );
    for (const a of arms)
      if (
        a.rounds !== undefined &&
        "group" in a.rounds &&
        a.rounds.of === undefined &&
        a.rounds.group > roundGroups
      )
        throw new ArrangeError(
          "usage",
          `arm ${a.label} takes round group ${a.rounds.group} of ${roundGroups}`,
          {
            file: specSource,
            option: "--round-groups",
            fix: `pass --round-groups ${a.rounds.group} or more`,
          },
        );
  }

  // 1. Arrange. Arms that shuffle are arranged once per seed; the others once.
  await mkdir(join(out, "arranged"), { recursive: true });
  const arranged = new Map<string, { file: string; rows: number }>();
  const keyOf = (arm: ArmSpec, seed: number) => (armIsSeeded(arm) ? `${arm.label}\u0000${seed}` : arm.label);
  const baseArrange: Omit<ArrangeOptions, "out" | "strategy"> = {
    train: trainPath,
    test: testPath,
    embedder,
    ngramDims: options.ngramDims,
    overlap: overlapMode,
    decontaminate: options.decontaminate,
    threads: options.embedThreads,
  };
  const armError = (arm: ArmSpec, e: unknown): unknown => {
    if (e instanceof ArrangeError && e.code === "usage")
      return new ArrangeError("usage", `arm ${arm.label} of experiment ${spec.name}: ${e.message}`, {
        file: specSource,
        option: e.option,
        fix: e.fix,
        cause: e,
      });
    return e;
  };
  // Round-filter arms: one TMA nearest-first arrangement per granularity, its rows cut by round.
  const roundArms = arms.filter((a) => a.rounds !== undefined);
  if (roundArms.length > 0) {
    const bases = new Map<string, { lines: string[]; round: number[]; file: string }>();
    for (const arm of roundArms) {
      const g = arm.granularity ?? "instance";
      if (bases.has(g)) continue;
      const file = join(out, "arranged", g === "instance" ? "tma-rounds.jsonl" : `tma-rounds-${g}.jsonl`);
      say(`arranging TMA nearest first (${g}) for the round groups -> ${file}`);
      let run: Awaited<ReturnType<typeof arrange>>;
      try {
        run = await arrange({
          ...baseArrange,
          out: file,
          strategy: "tma",
          order: "nearest-first",
          granularity: arm.granularity,
          seed: seeds[0]!,
        });
      } catch (e) {
        throw armError(arm, e);
      }
      const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
      if (lines.length !== run.metadata.length)
        throw new ArrangeError(
          "internal",
          `the arranged file has ${lines.length} lines for ${run.metadata.length} rows`,
          { file, fix: "use JSONL training data with one row per line" },
        );
      bases.set(g, { lines, round: run.metadata.map((m) => m.round ?? 0), file });
    }
    const picks = roundArms.map((arm) => {
      const base = bases.get(arm.granularity ?? "instance")!;
      const n = Math.max(0, ...base.round);
      const r = arm.rounds!;
      const range = "from" in r ? r : roundGroupRange(n, r.group, r.of ?? roundGroups!);
      const positions = base.round.flatMap((rd, p) => (rd >= range.from && rd <= range.to ? [p] : []));
      if (positions.length === 0)
        throw new ArrangeError(
          "usage",
          `arm ${arm.label}: rounds ${range.from}–${range.to} hold no rows (the TMA arrangement has ${n} rounds)`,
          { file: specSource, option: "rounds", fix: `choose rounds within 1–${n}, or fewer round groups` },
        );
      return { arm, base, range, positions, rounds: n };
    });
    const equal = spec.equalRounds ?? true;
    const size = Math.min(...picks.map((p) => p.positions.length));
    for (const p of picks) {
      const keep = equal ? p.positions.slice(0, size) : p.positions;
      const file = join(out, "arranged", `${armId(p.arm.label)}.jsonl`);
      await atomicWrite(file, (fh) =>
        writeAll(fh, Buffer.from(keep.map((q) => `${p.base.lines[q]}\n`).join(""))),
      );
      say(
        `${p.arm.label}: rounds ${p.range.from}–${p.range.to} of ${p.rounds}, ${keep.length} of ${p.positions.length} rows -> ${file}`,
      );
      arranged.set(keyOf(p.arm, seeds[0]!), { file, rows: keep.length });
    }
  }
  for (const arm of arms) {
    if (arm.rounds !== undefined) continue;
    for (const seed of armIsSeeded(arm) ? seeds : [seeds[0]!]) {
      const id = armId(arm.label);
      const file = join(out, "arranged", armIsSeeded(arm) ? `${id}-seed${seed}.jsonl` : `${id}.jsonl`);
      say(`arranging ${arm.label}${armIsSeeded(arm) ? ` (seed ${seed})` : ""} (${arm.strategy}) -> ${file}`);
      let run: Awaited<ReturnType<typeof arrange>>;
      try {
        run = await arrange({
          ...baseArrange,
          out: file,
          // Rounds and each row's task, for the arm's analysis.
          metadata: file.replace(/\.jsonl$/, ".meta.jsonl"),
          strategy: arm.strategy,
          measure: arm.strategy === "rank" ? (arm.measure ?? measure) : undefined,
          order: arm.order,
          granularity: arm.granularity,
          budget: arm.budget === "M" ? budget! : arm.budget,
          select: arm.select,
          withinRound: arm.withinRound,
          seed,
        });
      } catch (e) {
        throw armError(arm, e);
      }
      arranged.set(keyOf(arm, seed), { file, rows: run.order.length });
    }
  }

  // 2. Train every arm on every seed.
  const trainOptions: RunTrainOptions = { ...options.trainOptions };
  if (parallel > 1 && trainOptions.threads === undefined) trainOptions.threads = 1;
  const trainProgress = parallel > 1 ? undefined : trainOptions.onProgress;
  delete trainOptions.onProgress;
  const { python: _python, ...keyed } = trainOptions;
  const jobs = seeds.flatMap((seed) =>
    arms.map((arm) => {
      const a = arranged.get(keyOf(arm, seed))!;
      return {
        arm,
        seed,
        file: a.file,
        rows: a.rows,
        label: `${arm.label} seed ${seed}`,
        runDir: join(out, "runs", `${armId(arm.label)}-seed${seed}`),
      };
    }),
  );
  const results: { run: ExperimentRun; curves: TrainCurves }[] = new Array(jobs.length);
  let finished = 0;
  const total = jobs.length;
  const resume = options.resume ?? true;
  const evalHash = await sha256Path(testPath);
  await pool(parallel, jobs, async (job, index) => {
    const key = {
      data: await sha256File(job.file),
      eval: evalHash,
      seed: job.seed,
      label: job.label,
      train: keyed,
    };
    const keyText = `${JSON.stringify(key, null, 2)}\n`;
    const curvesPath = join(job.runDir, "curves.json");
    const keyPath = join(job.runDir, RUN_KEY_FILE);
    let curves: TrainCurves | undefined;
    let stepsPerSecond: number | null = null;
    let reused = false;
    if (
      resume &&
      existsSync(curvesPath) &&
      existsSync(keyPath) &&
      (await readFile(keyPath, "utf8")) === keyText
    ) {
      curves = JSON.parse(await readFile(curvesPath, "utf8")) as TrainCurves;
      try {
        const runJson = JSON.parse(await readFile(join(job.runDir, "run.json"), "utf8"));
        stepsPerSecond = runJson?.timings?.stepsPerSecond ?? null;
      } catch {
        stepsPerSecond = null;
      }
      reused = true;
      say(`reusing ${job.label}: ${curvesPath} is complete with the same settings`, finished, total);
    } else {
      say(`training ${job.label} -> ${job.runDir}`, finished, total);
      const r = await train({
        ...trainOptions,
        onProgress: trainProgress,
        data: job.file,
        eval: testPath,
        out: job.runDir,
        seed: job.seed,
        label: job.label,
        // The experiment owns its run directories: a run with other settings replaces the old one.
        overwrite: true,
      });
      curves = r.curves;
      stepsPerSecond = r.stepsPerSecond;
      await atomicWrite(keyPath, (fh) => writeAll(fh, Buffer.from(keyText)));
    }
    const losses = curves.points.map((p) => ({ step: p.step, value: p.test.loss }));
    const finite = losses.map((l) => l.value).filter((v): v is number => typeof v === "number");
    results[index] = {
      curves,
      run: {
        arm: job.arm.label,
        ...(job.arm.order !== undefined ? { order: job.arm.order } : {}),
        label: job.label,
        seed: job.seed,
        arranged: job.file,
        runDir: job.runDir,
        rows: job.rows,
        area: meanOverSteps(losses, options.aucSteps),
        finalLoss: losses.at(-1)?.value ?? null,
        minLoss: finite.length === 0 ? null : Math.min(...finite),
        stepsPerSecond,
        reused,
      },
    };
    finished++;
    say(`${reused ? "reused" : "trained"} ${job.label}`, finished, total);
  });

  // 3. Analyze every arranged file once, with one checkpoint per evaluated step up to the last step.
  const first0 = results[0]?.curves;
  if ((options.analyze ?? true) && first0 !== undefined) {
    const { analyze } = await import("../pipeline/analyze.js");
    const done = new Map<string, string>();
    for (const r of results) {
      const file = r.run.arranged;
      let path = done.get(file);
      if (path === undefined) {
        path = analysisPathOf(out, file);
        const meta = file.replace(/\.jsonl$/, ".meta.jsonl");
        say(`analyzing ${file} -> ${path}`, total, total);
        await analyze({
          train: file,
          test: testPath,
          out: path,
          embedder,
          ngramDims: options.ngramDims,
          batchSize: first0.batchSize,
          saveSteps: first0.evalEvery,
          maxSteps: first0.steps,
          ...(existsSync(meta) ? { metadata: meta } : {}),
        });
        done.set(file, path);
      }
      r.run.analysis = path;
    }
  }

  // 4. Summaries over seeds, comparisons, files.
  const runs = results.map((r) => r.run);
  const stat = (values: number[]) => (values.length === 0 ? null : meanAndStd(values));
  const summary: ArmSummary[] = arms.map((arm) => {
    const mine = results.filter((r) => r.run.arm === arm.label);
    const byStep = new Map<number, { examples: number; values: number[] }>();
    for (const { curves } of mine)
      for (const p of curves.points) {
        const e = byStep.get(p.step) ?? { examples: p.examples, values: [] };
        if (typeof p.test.loss === "number") e.values.push(p.test.loss);
        byStep.set(p.step, e);
      }
    const curve = [...byStep.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([step, { examples, values }]) => {
        const s = stat(values);
        return {
          step,
          examples,
          loss: s?.mean ?? null,
          std: s?.std ?? null,
          min: values.length === 0 ? null : Math.min(...values),
          max: values.length === 0 ? null : Math.max(...values),
          n: values.length,
        };
      });
    return {
      arm: arm.label,
      ...(arm.order !== undefined ? { order: arm.order } : {}),
      label: arm.label,
      runs: mine.length,
      rows: mine[0]?.run.rows ?? 0,
      area: stat(mine.map((r) => r.run.area).filter((v): v is number => v !== null)),
      finalLoss: stat(mine.map((r) => r.run.finalLoss).filter((v): v is number => v !== null)),
      curve,
    };
  });
  const comparisons = (spec.compare ?? [])
    .map((c) => compareArms(c, summary, runs, seeds))
    .filter((c): c is Comparison => c !== undefined);
  const first = results[0]?.curves;
  const result: ExperimentResult = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "experiment",
    name: spec.name,
    description: spec.description ?? "",
    figure: spec.figure ?? null,
    spec: { ...spec, arms },
    specSource,
    train: resolve(trainPath),
    test: resolve(testPath),
    split,
    measure,
    embedder,
    seeds,
    aucSteps: options.aucSteps ?? null,
    budget,
    roundGroups,
    training:
      first === undefined
        ? null
        : {
            model: first.model,
            steps: first.steps,
            batchSize: first.batchSize,
            evalEvery: first.evalEvery,
            testExamples: first.testExamples,
          },
    runs,
    summary,
    verdict: { comparisons },
  };
  await writeJson(join(out, "experiment.json"), result);
  if (options.report ?? true) {
    // Loaded on use: vega and vega-lite take a moment to load.
    const { experimentReport } = await import("../report/experiment.js");
    await experimentReport({ result, out: join(out, "report.html") });
    say(`report -> ${join(out, "report.html")}`, total, total);
  }
  return result;
}

/** Read an experiment.json written by runExperiment (for `report --experiment`). */
export async function readExperiment(path: string): Promise<ExperimentResult> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ArrangeError("input", `cannot read the experiment file: ${(cause as Error).message}`, {
      file: path,
      option: "--experiment",
      fix: "pass OUT/experiment.json written by instruct-arrange experiment",
      cause,
    });
  }
  const r = json as Partial<ExperimentResult>;
  if (r?.kind !== "experiment" || !Array.isArray(r.runs) || !Array.isArray(r.summary))
    throw new ArrangeError("input", 'not an experiment file (kind "experiment" with runs and summary)', {
      file: path,
      option: "--experiment",
      fix: "pass OUT/experiment.json written by instruct-arrange experiment",
    });
  // Files written before the spec-driven runner (fig3-left only) have no verdict or spread: fill them in.
  const summary = r.summary.map((s) => ({
    ...s,
    arm: s.arm ?? s.label,
    rows: s.rows ?? 0,
    curve: s.curve.map((p) => ({
      ...p,
      std: p.std ?? null,
      min: p.min ?? null,
      max: p.max ?? null,
      n: p.n ?? 0,
    })),
  }));
  return {
    ...(r as ExperimentResult),
    summary,
    runs: r.runs.map((x) => ({ ...x, arm: x.arm ?? x.label.split(" seed ")[0]! })),
    verdict: r.verdict ?? { comparisons: [] },
  };
}
