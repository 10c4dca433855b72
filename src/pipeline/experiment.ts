import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ArrangeError, usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Measure, WithinRound } from "../core/types.js";
import { atomicWrite, writeAll } from "../data/atomic.js";
import { checkOutputPaths } from "../data/outputs.js";
import { checkOverlapMode, exactOverlapError, findExactOverlap, type OverlapMode } from "../data/overlap.js";
import { readDataset } from "../data/read.js";
import { meanOverSteps } from "../experiment/area.js";
import { FIG3_LABELS, type Fig3LeftOptions, type Fig3LeftResult } from "../experiment/fig3-left.js";
import {
  type RunTrainOptions,
  readRunTimings,
  runPool,
  runResumable,
  sha256File,
  sha256Path,
} from "../experiment/jobs.js";
import {
  analysisPathOf,
  type Comparison,
  compareArms,
  type ExperimentResult,
  type ExperimentRun,
  summarizeArms,
} from "../experiment/result.js";
import {
  type ArmSpec,
  armId,
  armIsSeeded,
  builtinSpec,
  type ExperimentSpec,
  roundGroupRange,
} from "../experiment/spec.js";
import { splitByTask } from "../experiment/split.js";
import { TRAIN_DEFAULTS, trainingResumeKey } from "../train/options.js";
import { type TrainCurves, train } from "../train/run.js";
import { VERSION } from "../version.js";
import { type ArrangeOptions, arrange } from "./arrange.js";

/**
 * The `experiment` use case: arrange every arm (pipeline/arrange), train it on every seed (train), analyze
 * the arranged files (analyze), summarize (experiment/result) and draw the report (report/pages/experiment).
 */

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
  /** Rounds those groups are cut from (1-based, inclusive; default: the spec's, else every round). */
  roundRange?: { from: number; to: number };
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

/** Progress lines of the experiment stage. */
type Say = (message: string, done?: number, total?: number) => void;

/** The arms to run: --arms picks by label (case-insensitive); --within-round fills in the TMA arms'. */
function selectArms(spec: ExperimentSpec, options: ExperimentOptions): ArmSpec[] {
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
  return arms;
}

/** --seeds and --parallel, checked. */
function checkRunCounts(options: ExperimentOptions): { seeds: number[]; parallel: number } {
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
  return { seeds, parallel };
}

/** The training and test sets: --train and --test, or a task-level split of --data into OUT/split. */
async function resolveDataSets(
  options: ExperimentOptions,
  out: string,
  say: Say,
): Promise<{ trainPath: string; testPath: string; split: ExperimentResult["split"] }> {
  if (options.data !== undefined) {
    if (options.train !== undefined || options.test !== undefined)
      throw usageError("give either --data with --holdout, or --train and --test", "--data");
    const s = await splitByTask(options.data, options.holdout ?? [], join(out, "split"));
    say(`task split: ${s.trainFiles.length} training files, ${s.testFiles.length} held-out test files`);
    return {
      trainPath: s.train,
      testPath: s.test,
      split: {
        holdout: options.holdout ?? [],
        trainFiles: s.trainFiles.length,
        testFiles: s.testFiles.length,
      },
    };
  }
  if (options.train === undefined || options.test === undefined)
    throw usageError("give --train and --test, or --data with --holdout", "--train");
  return { trainPath: options.train, testPath: options.test, split: null };
}

/** No arm may train on the target: exact copies of test rows are found once, before any arm runs. */
async function checkExactOverlap(trainPath: string, testPath: string, mode: OverlapMode, say: Say) {
  const trainDs = await readDataset(trainPath, { label: "train", texts: false });
  const testDs = await readDataset(testPath, { label: "test", texts: false });
  const exact = await findExactOverlap(trainDs, testDs);
  const n = exact.trainRows.length;
  if (n === 0) return;
  if (mode === "error") throw exactOverlapError(trainDs, testDs, exact);
  say(
    mode === "drop"
      ? `overlap: every arm leaves out the ${n} training row${n === 1 ? "" : "s"} equal to a test row (--overlap drop)`
      : `warning: ${n} training row${n === 1 ? "" : "s"} equal${n === 1 ? "s" : ""} a test row and ${n === 1 ? "is" : "are"} kept (--overlap keep)`,
  );
}

/** The budget M, when an arm asks for it: --budget, the spec's, else half the training rows. */
async function resolveBudget(
  arms: readonly ArmSpec[],
  options: ExperimentOptions,
  trainPath: string,
  say: Say,
): Promise<number | null> {
  if (!arms.some((a) => a.budget === "M")) return null;
  let budget = options.budget ?? options.spec.budget ?? null;
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
  return budget;
}

/** Round groups of `rounds: { group }` arms: --round-groups, the spec's, else 3; every arm's group fits. */
function resolveRoundGroups(arms: readonly ArmSpec[], options: ExperimentOptions, specSource: string) {
  const grouped = (a: ArmSpec) => a.rounds !== undefined && "group" in a.rounds && a.rounds.of === undefined;
  if (!arms.some(grouped)) return null;
  const roundGroups = options.roundGroups ?? options.spec.roundGroups ?? 3;
  if (!Number.isSafeInteger(roundGroups) || roundGroups < 1)
    throw usageError(
      `--round-groups must be a positive integer, got ${roundGroups}`,
      "--round-groups",
      "pass e.g. --round-groups 3",
    );
  for (const a of arms)
    if (grouped(a) && a.rounds !== undefined && "group" in a.rounds && a.rounds.group > roundGroups)
      throw new ArrangeError(
        "usage",
        `arm ${a.label} takes round group ${a.rounds.group} of ${roundGroups}`,
        {
          file: specSource,
          option: "--round-groups",
          fix: `pass --round-groups ${a.rounds.group} or more`,
        },
      );
  return roundGroups;
}

/** --round-range, else the spec's, else null (every round). */
function resolveRoundRange(options: ExperimentOptions): { from: number; to: number } | null {
  const r = options.roundRange ?? options.spec.roundRange ?? null;
  if (
    r !== null &&
    !(Number.isSafeInteger(r.from) && Number.isSafeInteger(r.to) && r.from >= 1 && r.from <= r.to)
  )
    throw usageError(
      `--round-range must be FROM-TO with 1 <= FROM <= TO, got ${r.from}-${r.to}`,
      "--round-range",
      "pass e.g. --round-range 1-30",
    );
  return r;
}

/** What the arranging and training stages share. */
interface ExperimentPlan {
  spec: ExperimentSpec;
  specSource: string;
  out: string;
  arms: ArmSpec[];
  seeds: number[];
  parallel: number;
  trainPath: string;
  testPath: string;
  measure: Measure;
  embedder: string;
  budget: number | null;
  roundGroups: number | null;
  roundRange: { from: number; to: number } | null;
  /** Rows one training run reads (--max-steps × --batch-size), when --max-steps is set. */
  rowsPerRun: number | null;
  baseArrange: Omit<ArrangeOptions, "out" | "strategy">;
}

type Arranged = Map<string, { file: string; rows: number }>;

/** Arms that shuffle are arranged once per seed, the others once: their key in the arranged map. */
const arrangedKey = (arm: ArmSpec, seed: number) =>
  armIsSeeded(arm) ? `${arm.label}\u0000${seed}` : arm.label;

/** A usage error of `arrange` for one arm, named after the arm and the spec. */
function armError(plan: ExperimentPlan, arm: ArmSpec, e: unknown): unknown {
  if (e instanceof ArrangeError && e.code === "usage")
    return new ArrangeError("usage", `arm ${arm.label} of experiment ${plan.spec.name}: ${e.message}`, {
      file: plan.specSource,
      option: e.option,
      fix: e.fix,
      cause: e,
    });
  return e;
}

/** Round-filter arms: one TMA nearest-first arrangement per granularity, its rows cut by round. */
async function arrangeRoundArms(plan: ExperimentPlan, arranged: Arranged, say: Say): Promise<void> {
  const roundArms = plan.arms.filter((a) => a.rounds !== undefined);
  if (roundArms.length === 0) return;
  const seed = plan.seeds[0]!;
  const bases = new Map<string, { lines: string[]; round: number[]; file: string }>();
  for (const arm of roundArms) {
    const g = arm.granularity ?? "instance";
    if (bases.has(g)) continue;
    const file = join(plan.out, "arranged", g === "instance" ? "tma-rounds.jsonl" : `tma-rounds-${g}.jsonl`);
    say(`arranging TMA nearest first (${g}) for the round groups -> ${file}`);
    let run: Awaited<ReturnType<typeof arrange>>;
    try {
      run = await arrange({
        ...plan.baseArrange,
        out: file,
        strategy: "tma",
        order: "nearest-first",
        granularity: arm.granularity,
        seed,
      });
    } catch (e) {
      throw armError(plan, arm, e);
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
    const range = "from" in r ? r : groupRange(plan, n, r.group, r.of ?? plan.roundGroups!);
    const positions = base.round.flatMap((rd, p) => (rd >= range.from && rd <= range.to ? [p] : []));
    if (positions.length === 0)
      throw new ArrangeError(
        "usage",
        `arm ${arm.label}: rounds ${range.from}–${range.to} hold no rows (the TMA arrangement has ${n} rounds)`,
        {
          file: plan.specSource,
          option: "rounds",
          fix: `choose rounds within 1–${n}, or fewer round groups`,
        },
      );
    return { arm, base, range, positions, rounds: n };
  });
  const equal = plan.spec.equalRounds ?? true;
  const size = Math.min(...picks.map((p) => p.positions.length));
  if (plan.rowsPerRun !== null && size < plan.rowsPerRun) {
    const small = picks.find((p) => p.positions.length === size)!;
    say(
      `warning: ${small.arm.label} (rounds ${small.range.from}–${small.range.to}) holds ${size} rows, fewer than the ` +
        `${plan.rowsPerRun} a run reads (--max-steps × --batch-size), so ${equal ? "every group's" : "its"} rows repeat ` +
        `${(plan.rowsPerRun / size).toFixed(1)} times; late TMA rounds are small — group only the early ones ` +
        "(e.g. --round-range 1-30, the paper's Fig. 5) or train fewer steps",
    );
  }
  for (const p of picks) {
    const keep = equal ? p.positions.slice(0, size) : p.positions;
    const file = join(plan.out, "arranged", `${armId(p.arm.label)}.jsonl`);
    await atomicWrite(file, (fh) =>
      writeAll(fh, Buffer.from(keep.map((q) => `${p.base.lines[q]}\n`).join(""))),
    );
    say(
      `${p.arm.label}: rounds ${p.range.from}–${p.range.to} of ${p.rounds}, ${keep.length} of ${p.positions.length} rows -> ${file}`,
    );
    arranged.set(arrangedKey(p.arm, seed), { file, rows: keep.length });
  }
}

/** Rounds of group g of `of` groups: of rounds 1..n, or of the --round-range within them. */
function groupRange(
  plan: ExperimentPlan,
  n: number,
  group: number,
  of: number,
): { from: number; to: number } {
  if (plan.roundRange === null) return roundGroupRange(n, group, of);
  const { from } = plan.roundRange;
  const to = Math.min(plan.roundRange.to, n);
  if (from > n || to - from + 1 < of)
    throw new ArrangeError(
      "usage",
      `--round-range ${from}-${plan.roundRange.to} leaves ${Math.max(0, to - from + 1)} of the TMA arrangement's ${n} rounds for ${of} round groups`,
      {
        file: plan.specSource,
        option: "--round-range",
        fix: `choose a range within 1-${n} holding at least ${of} rounds, or fewer --round-groups`,
      },
    );
  const g = roundGroupRange(to - from + 1, group, of);
  return { from: g.from + from - 1, to: g.to + from - 1 };
}

/** Every other arm: arranged with `arrange` by its strategy (once per seed when it shuffles). */
async function arrangeStrategyArms(plan: ExperimentPlan, arranged: Arranged, say: Say): Promise<void> {
  for (const arm of plan.arms) {
    if (arm.rounds !== undefined) continue;
    for (const seed of armIsSeeded(arm) ? plan.seeds : [plan.seeds[0]!]) {
      const id = armId(arm.label);
      const file = join(plan.out, "arranged", armIsSeeded(arm) ? `${id}-seed${seed}.jsonl` : `${id}.jsonl`);
      say(`arranging ${arm.label}${armIsSeeded(arm) ? ` (seed ${seed})` : ""} (${arm.strategy}) -> ${file}`);
      let run: Awaited<ReturnType<typeof arrange>>;
      try {
        run = await arrange({
          ...plan.baseArrange,
          out: file,
          // Rounds and each row's task, for the arm's analysis.
          metadata: file.replace(/\.jsonl$/, ".meta.jsonl"),
          strategy: arm.strategy,
          measure: arm.strategy === "rank" ? (arm.measure ?? plan.measure) : undefined,
          order: arm.order,
          granularity: arm.granularity,
          budget: arm.budget === "M" ? plan.budget! : arm.budget,
          select: arm.select,
          withinRound: arm.withinRound,
          seed,
        });
      } catch (e) {
        throw armError(plan, arm, e);
      }
      arranged.set(arrangedKey(arm, seed), { file, rows: run.order.length });
    }
  }
}

/** Stage 1: every arm's training data, arranged into OUT/arranged. */
async function arrangeArms(plan: ExperimentPlan, say: Say): Promise<Arranged> {
  await mkdir(join(plan.out, "arranged"), { recursive: true });
  const arranged: Arranged = new Map();
  await arrangeRoundArms(plan, arranged, say);
  await arrangeStrategyArms(plan, arranged, say);
  return arranged;
}

/** Stage 2: every arm trained on every seed with the resumable job runner (complete runs are reused). */
async function trainArms(
  plan: ExperimentPlan,
  arranged: Arranged,
  options: ExperimentOptions,
  say: Say,
): Promise<{ run: ExperimentRun; curves: TrainCurves }[]> {
  const trainOptions: RunTrainOptions = { ...options.trainOptions };
  if (plan.parallel > 1 && trainOptions.threads === undefined) trainOptions.threads = 1;
  const trainProgress = plan.parallel > 1 ? undefined : trainOptions.onProgress;
  delete trainOptions.onProgress;
  const keyed = trainingResumeKey(trainOptions);
  const jobs = plan.seeds.flatMap((seed) =>
    plan.arms.map((arm) => {
      const a = arranged.get(arrangedKey(arm, seed))!;
      return {
        arm,
        seed,
        file: a.file,
        rows: a.rows,
        label: `${arm.label} seed ${seed}`,
        runDir: join(plan.out, "runs", `${armId(arm.label)}-seed${seed}`),
      };
    }),
  );
  let finished = 0;
  const total = jobs.length;
  const resume = options.resume ?? true;
  const evalHash = await sha256Path(plan.testPath);
  return runPool(jobs, plan.parallel, async (job) => {
    const resumable = {
      runDir: job.runDir,
      outputs: ["curves.json"],
      key: {
        data: await sha256File(job.file),
        eval: evalHash,
        seed: job.seed,
        label: job.label,
        train: keyed,
      },
    };
    const { value, reused } = await runResumable(resumable, resume, {
      reuse: async () => {
        const curvesPath = join(job.runDir, "curves.json");
        const curves = JSON.parse(await readFile(curvesPath, "utf8")) as TrainCurves;
        const stepsPerSecond = (await readRunTimings(job.runDir)).stepsPerSecond ?? null;
        say(`reusing ${job.label}: ${curvesPath} is complete with the same settings`, finished, total);
        return { curves, stepsPerSecond };
      },
      run: async () => {
        say(`training ${job.label} -> ${job.runDir}`, finished, total);
        const r = await train({
          ...trainOptions,
          onProgress: trainProgress,
          data: job.file,
          eval: plan.testPath,
          out: job.runDir,
          seed: job.seed,
          label: job.label,
          // The experiment owns its run directories: a run with other settings replaces the old one.
          overwrite: true,
        });
        return { curves: r.curves, stepsPerSecond: r.stepsPerSecond };
      },
    });
    const { curves, stepsPerSecond } = value;
    const losses = curves.points.map((p) => ({ step: p.step, value: p.test.loss }));
    const finite = losses.map((l) => l.value).filter((v): v is number => typeof v === "number");
    finished++;
    say(`${reused ? "reused" : "trained"} ${job.label}`, finished, total);
    return {
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
  });
}

/** Stage 3: every arranged file analyzed once, with one checkpoint per evaluated step up to the last. */
async function analyzeArrangements(
  plan: ExperimentPlan,
  results: { run: ExperimentRun; curves: TrainCurves }[],
  ngramDims: number | undefined,
  say: Say,
): Promise<void> {
  const first = results[0]?.curves;
  if (first === undefined) return;
  const { analyze } = await import("./analyze.js");
  const total = results.length;
  const done = new Map<string, string>();
  for (const r of results) {
    const file = r.run.arranged;
    let path = done.get(file);
    if (path === undefined) {
      path = analysisPathOf(plan.out, file);
      const meta = file.replace(/\.jsonl$/, ".meta.jsonl");
      say(`analyzing ${file} -> ${path}`, total, total);
      await analyze({
        train: file,
        test: plan.testPath,
        out: path,
        embedder: plan.embedder,
        ngramDims,
        batchSize: first.batchSize,
        saveSteps: first.evalEvery,
        maxSteps: first.steps,
        ...(existsSync(meta) ? { metadata: meta } : {}),
      });
      done.set(file, path);
    }
    r.run.analysis = path;
  }
}

/** Stage 4: OUT/experiment.json's content: the runs, per-arm summaries over seeds and the comparisons. */
function experimentResult(
  plan: ExperimentPlan,
  results: { run: ExperimentRun; curves: TrainCurves }[],
  split: ExperimentResult["split"],
  aucSteps: number | undefined,
): ExperimentResult {
  const { spec, arms, seeds } = plan;
  const runs = results.map((r) => r.run);
  const summary = summarizeArms(arms, results);
  const comparisons = (spec.compare ?? [])
    .map((c) => compareArms(c, summary, runs, seeds))
    .filter((c): c is Comparison => c !== undefined);
  const first = results[0]?.curves;
  return {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "experiment",
    name: spec.name,
    description: spec.description ?? "",
    figure: spec.figure ?? null,
    spec: { ...spec, arms },
    specSource: plan.specSource,
    train: resolve(plan.trainPath),
    test: resolve(plan.testPath),
    split,
    measure: plan.measure,
    embedder: plan.embedder,
    seeds,
    aucSteps: aucSteps ?? null,
    budget: plan.budget,
    roundGroups: plan.roundGroups,
    roundRange: plan.roundRange,
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
}

/**
 * Runs an experiment: every arm's training data arranged with the project's own `arrange` (once, or once
 * per seed when the arm shuffles), every arm trained with the same training options on every seed (up to
 * `parallel` runs at once; complete runs in OUT are reused), then per-arm means and spreads over seeds, the
 * spec's ordered comparisons, OUT/experiment.json and OUT/report.html.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const onProgress = options.onProgress ?? noProgress;
  const say: Say = (message, done = 0, total) =>
    onProgress({ stage: "experiment", done, total, unit: "runs", message });
  const spec = options.spec;
  const specSource = options.specSource ?? `experiment ${spec.name}`;
  const out = resolve(options.out);
  const { seeds, parallel } = checkRunCounts(options);
  const arms = selectArms(spec, options);
  await checkOutputPaths(
    [
      { flag: "--train", path: options.train },
      { flag: "--test", path: options.test },
      { flag: "--data", path: options.data },
    ],
    [{ flag: "--out-dir", path: out, kind: "dir" }],
  );
  await mkdir(out, { recursive: true });
  const { trainPath, testPath, split } = await resolveDataSets(options, out, say);
  const measure = options.measure ?? "wsd";
  const embedder = options.embedder ?? "ngram";
  const overlapMode = checkOverlapMode(options.overlap);
  await checkExactOverlap(trainPath, testPath, overlapMode, say);
  const budget = await resolveBudget(arms, options, trainPath, say);
  const roundGroups = resolveRoundGroups(arms, options, specSource);
  const roundRange = roundGroups === null ? null : resolveRoundRange(options);
  const maxSteps = options.trainOptions?.maxSteps;
  const plan: ExperimentPlan = {
    spec,
    specSource,
    out,
    arms,
    seeds,
    parallel,
    trainPath,
    testPath,
    measure,
    embedder,
    budget,
    roundGroups,
    roundRange,
    rowsPerRun:
      maxSteps === undefined || maxSteps === null
        ? null
        : maxSteps * (options.trainOptions?.batchSize ?? TRAIN_DEFAULTS.batchSize),
    baseArrange: {
      train: trainPath,
      test: testPath,
      embedder,
      ngramDims: options.ngramDims,
      overlap: overlapMode,
      decontaminate: options.decontaminate,
      threads: options.embedThreads,
    },
  };

  const arranged = await arrangeArms(plan, say);
  const results = await trainArms(plan, arranged, options, say);
  if (options.analyze ?? true) await analyzeArrangements(plan, results, options.ngramDims, say);
  const result = experimentResult(plan, results, split, options.aucSteps);
  await writeJson(join(out, "experiment.json"), result);
  if (options.report ?? true) {
    // Loaded on use: vega and vega-lite take a moment to load.
    const { experimentReport } = await import("../report/pages/experiment.js");
    await experimentReport({ result, out: join(out, "report.html") });
    say(`report -> ${join(out, "report.html")}`, results.length, results.length);
  }
  return result;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await atomicWrite(path, (fh) => writeAll(fh, Buffer.from(`${JSON.stringify(value, null, 2)}\n`)));
}

/**
 * The paper's Fig. 3 (left): the same training examples ranked by WSD nearest first (NFT), shuffled
 * (RT) and farthest first (FFT), each trained with the same seed; test loss on unseen tasks against
 * steps. The built-in spec `fig3-left` of runExperiment; writes OUT/experiment.json, OUT/arranged/*.jsonl,
 * one run directory per order and seed, and OUT/report.html.
 */
export async function fig3Left(options: Fig3LeftOptions): Promise<Fig3LeftResult> {
  const { orders, ...rest } = options;
  if (orders !== undefined && orders.length === 0)
    throw usageError("nothing to run: no orders", "--orders", "pass e.g. --orders nft,rt,fft");
  return runExperiment({
    ...rest,
    spec: builtinSpec("fig3-left"),
    specSource: "built-in experiment fig3-left",
    arms: orders?.map((o) => FIG3_LABELS[o]),
  });
}
