import { mkdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { Staging, writeLines } from "../data/staging.js";
import { readRunTimings, runPool, runResumable, sha256File } from "../experiment/jobs.js";
import {
  type Accuracy,
  computeThreshold,
  evalTask,
  ONLYIF_DEFAULTS,
  type OnlyIfOptions,
  type OnlyIfResult,
  type OnlyIfRun,
  type OnlyIfSynthOptions,
  scoreRunGenerations,
  subsetLoss,
  summarizeSweep,
} from "../experiment/onlyif.js";
import { onlyIfCharts } from "../report/charts/onlyif.js";
import { makeOutputDirs, stageChartImages } from "../report/images.js";
import { onlyIfHtml } from "../report/pages/onlyif.js";
import { findFont, toVega } from "../report/render.js";
import { checkRewriteOptions, generateRewrite, rewriteRecord } from "../synth/rewrite.js";
import { resolveSettings, type TrainSettings, totalSteps, trainingResumeKey } from "../train/options.js";
import { type TrainCurves, train } from "../train/run.js";
import { VERSION } from "../version.js";

/**
 * The `experiment onlyif-threshold` use case: generate the rewrite data per seed and I (synth), train
 * every run with the resumable job runner (train), score the greedy answers (experiment/onlyif) and
 * write the result, the timings and the report (report/charts/onlyif, report/pages/onlyif).
 */

function checkList(list: number[], flag: string, min: number): number[] {
  const out = [...new Set(list)].sort((a, b) => a - b);
  if (out.length === 0) throw usageError(`${flag} is empty`, flag, `pass e.g. ${flag} ${min}`);
  for (const v of out)
    if (!Number.isSafeInteger(v) || v < min)
      throw usageError(
        `${flag} values must be integers >= ${min}, got ${v}`,
        flag,
        `pass e.g. ${flag} ${min}`,
      );
  return out;
}

const lines = (records: Record<string, unknown>[]) => records.map((r) => `${JSON.stringify(r)}\n`);

const fmtLoss = (x: number | null) => (x === null ? "-" : x.toFixed(3));

/** The sweep's settings, every option checked before anything is generated or trained. */
interface Sweep {
  out: string;
  rulesList: number[];
  seeds: number[];
  budget: number;
  seenTest: number;
  instruction: OnlyIfResult["instruction"];
  parallel: number;
  resume: boolean;
  synth: OnlyIfSynthOptions;
  trainIn: NonNullable<OnlyIfOptions["trainOptions"]>;
  settings: TrainSettings;
  steps: number;
  maxNewTokens: number;
  generateAt: number[];
  evalEvery: number;
}

function resolveSweep(options: OnlyIfOptions): Sweep {
  const out = resolve(options.out);
  const rulesList = checkList(options.rules ?? ONLYIF_DEFAULTS.rules, "--rules", 1);
  const seeds = checkList(options.seeds ?? ONLYIF_DEFAULTS.seeds, "--seeds", 0);
  const budget = options.budget ?? ONLYIF_DEFAULTS.budget;
  const seenTest = options.seenTest ?? ONLYIF_DEFAULTS.seenTest;
  const instruction = options.instruction ?? ONLYIF_DEFAULTS.instruction;
  const parallel = options.parallel ?? ONLYIF_DEFAULTS.parallel;
  const resume = options.resume ?? true;
  if (!Number.isSafeInteger(parallel) || parallel < 1)
    throw usageError(
      `--parallel must be an integer >= 1, got ${parallel}`,
      "--parallel",
      "pass e.g. --parallel 2",
    );
  const synthIn = { ...ONLYIF_DEFAULTS.synth, ...options.synth };
  const synth: OnlyIfSynthOptions = {
    ...synthIn,
    testDomains: options.synth?.testDomains ?? synthIn.domains,
  };
  // Every option is checked before anything is generated or trained (largest I: the tightest budget).
  for (const seed of seeds)
    checkRewriteOptions({
      ...synth,
      rules: rulesList[rulesList.length - 1]!,
      budget,
      seed,
      testFirst: true,
      seenTest,
    });
  const trainIn = options.trainOptions ?? {};
  const maxNewTokens =
    trainIn.maxNewTokens ??
    synth.stringLength[1] + Math.max(0, synth.patternLength[1] - synth.patternLength[0]) + 2;
  const settings = resolveSettings({ ...trainIn, maxNewTokens });
  const steps = totalSteps(settings, budget);
  const generateAt = [...new Set([...(options.generateAt ?? []), steps])].sort((a, b) => a - b);
  const bad = generateAt.find((s) => !Number.isSafeInteger(s) || s < 0 || s > steps);
  if (bad !== undefined)
    throw usageError(
      `--generate-at ${bad} is outside 0..${steps}`,
      "--generate-at",
      `give steps between 0 and ${steps}`,
    );
  const evalEvery = trainIn.evalEvery ?? Math.max(1, Math.ceil(steps / 4));
  return {
    out,
    rulesList,
    seeds,
    budget,
    seenTest,
    instruction,
    parallel,
    resume,
    synth,
    trainIn,
    settings,
    steps,
    maxNewTokens,
    generateAt,
    evalEvery,
  };
}

/** One training run of the sweep: its data directory, run directory and eval examples per task. */
interface SweepJob {
  rules: number;
  seed: number;
  dataDir: string;
  runDir: string;
  trainExamples: number;
  /** Eval examples per task (unseen/apply, unseen/noop, seen/...). */
  evalCounts: Map<string, number>;
}

/**
 * Stage 1: OUT/data/i<I>-seed<s>/ (train.jsonl, eval.jsonl, rules.json) per seed and I, test rules drawn
 * first; also whether every I of a seed got the same unseen-rule test set.
 */
async function writeSweepData(sweep: Sweep): Promise<{ jobs: SweepJob[]; testSetsEqual: boolean }> {
  const { synth, budget, seenTest, instruction } = sweep;
  const jobs: SweepJob[] = [];
  const testSetsEqual: boolean[] = [];
  for (const seed of sweep.seeds) {
    let firstTest: string | undefined;
    for (const rules of sweep.rulesList) {
      const set = generateRewrite({ ...synth, rules, budget, seed, testFirst: true, seenTest });
      const name = `i${rules}-seed${seed}`;
      const dataDir = join(sweep.out, "data", name);
      await mkdir(dataDir, { recursive: true });
      const testRecords = set.test.map((e) => ({
        ...rewriteRecord(e, instruction),
        task: evalTask("unseen", e),
        domain: e.domain,
      }));
      const seenRecords = set.seenTest.map((e) => ({
        ...rewriteRecord(e, instruction),
        task: evalTask("seen", e),
        domain: e.domain,
      }));
      const testText = lines(testRecords).join("");
      if (firstTest === undefined) firstTest = testText;
      testSetsEqual.push(testText === firstTest);
      const ruleList = (list: typeof set.trainRules) =>
        list.map((r) => ({ rule: `${r.x}->${r.y}`, domain: r.domain, examples: r.examples }));
      const staged = new Staging();
      try {
        await writeLines(
          staged.path(join(dataDir, "train.jsonl")),
          lines(set.train.map((e) => rewriteRecord(e, instruction))),
        );
        await writeLines(staged.path(join(dataDir, "eval.jsonl")), lines([...testRecords, ...seenRecords]));
        await writeLines(staged.path(join(dataDir, "rules.json")), [
          `${JSON.stringify({ train: ruleList(set.trainRules), test: ruleList(set.testRules) }, null, 2)}\n`,
        ]);
        await staged.commit();
      } catch (e) {
        await staged.abort();
        throw e;
      }
      const evalCounts = new Map<string, number>();
      for (const r of [...testRecords, ...seenRecords])
        evalCounts.set(r.task, (evalCounts.get(r.task) ?? 0) + 1);
      jobs.push({
        rules,
        seed,
        dataDir,
        runDir: join(sweep.out, "runs", name),
        trainExamples: set.train.length,
        evalCounts,
      });
    }
  }
  return { jobs, testSetsEqual: testSetsEqual.every(Boolean) };
}

interface RunTiming {
  rules: number;
  seed: number;
  seconds: number | null;
  trainSeconds: number | null;
  stepsPerSecond: number | null;
  /** Reused from an earlier run of the sweep (timings are that run's). */
  reused: boolean;
}

/** Stage 2: every run trained (or reused when complete with the same key) and scored. */
async function trainSweep(
  sweep: Sweep,
  jobs: SweepJob[],
  onProgress: ProgressSink,
): Promise<{ runs: OnlyIfRun[]; timings: RunTiming[] }> {
  const { trainIn, maxNewTokens, evalEvery, generateAt, parallel } = sweep;
  const keyedTrain = trainingResumeKey(trainIn);
  const say = (done: number, message: string) =>
    onProgress({ stage: "experiment", done, total: jobs.length, unit: "runs", message });
  let done = 0;
  const timings: RunTiming[] = [];
  const runs = await runPool(jobs, parallel, async (job): Promise<OnlyIfRun> => {
    const label = `I=${job.rules} seed ${job.seed}`;
    const trainPath = join(job.dataDir, "train.jsonl");
    const evalPath = join(job.dataDir, "eval.jsonl");
    const resumable = {
      runDir: job.runDir,
      outputs: ["curves.json", "generations.jsonl"],
      key: {
        data: await sha256File(trainPath),
        eval: await sha256File(evalPath),
        seed: job.seed,
        label,
        train: { ...keyedTrain, maxNewTokens, evalEvery, generateAt },
      },
    };
    const { value: r, reused } = await runResumable(resumable, sweep.resume, {
      reuse: async () => {
        const curvesText = await readFile(join(job.runDir, "curves.json"), "utf8");
        const t = await readRunTimings(job.runDir);
        say(done, `reusing ${label}: ${job.runDir} is complete with the same settings`);
        return {
          curves: JSON.parse(curvesText) as TrainCurves,
          seconds: t.seconds ?? null,
          trainSeconds: t.trainSeconds ?? null,
          stepsPerSecond: t.stepsPerSecond ?? null,
        };
      },
      run: async () => {
        say(done, `training ${label} -> ${job.runDir}`);
        return train({
          ...trainIn,
          maxNewTokens,
          evalEvery,
          generateAt,
          data: trainPath,
          eval: evalPath,
          out: job.runDir,
          seed: job.seed,
          label,
          // The experiment owns its run directories: a run with other settings replaces the old one.
          overwrite: true,
          taskField: "task",
          // Progress of parallel runs would interleave: only the sequential sweep shows the trainer's.
          onProgress: parallel === 1 ? trainIn.onProgress : undefined,
        });
      },
    });
    const scores = await scoreRunGenerations(join(job.runDir, "generations.jsonl"));
    const final = scores[scores.length - 1]!;
    const last = r.curves.points[r.curves.points.length - 1];
    const loss = last === undefined ? null : subsetLoss(last.step, last.test.perTask, job.evalCounts);
    timings.push({
      rules: job.rules,
      seed: job.seed,
      seconds: r.seconds,
      trainSeconds: r.trainSeconds,
      stepsPerSecond: r.stepsPerSecond,
      reused,
    });
    done++;
    const pct = (a: Accuracy) => (a.accuracy === null ? "-" : `${(100 * a.accuracy).toFixed(1)}%`);
    say(
      done,
      `${label}: unseen ${pct(final.unseen)} (rewrites ${pct(final.unseenApply)}), seen ${pct(final.seen)}` +
        (loss === null ? "" : `; test loss unseen ${fmtLoss(loss.unseen)}, seen ${fmtLoss(loss.seen)}`),
    );
    return {
      rules: job.rules,
      seed: job.seed,
      dataDir: relative(sweep.out, job.dataDir),
      runDir: relative(sweep.out, job.runDir),
      trainExamples: job.trainExamples,
      steps: r.curves.steps,
      finalTestLoss: last?.test.loss ?? null,
      loss,
      scores,
      final,
    };
  });
  return { runs, timings };
}

/** Stage 3: OUT/experiment.json's content: settings, runs, summary per I and the thresholds. */
function sweepResult(sweep: Sweep, runs: OnlyIfRun[], testSetsEqual: boolean): OnlyIfResult {
  const { settings } = sweep;
  const summary = summarizeSweep(sweep.rulesList, runs);
  const { onProgress: _p, python: _py, ...trainShown } = sweep.trainIn;
  return {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "experiment",
    name: "onlyif-threshold",
    description:
      "Exact-match accuracy of greedy answers on rewrite rules never seen in training, against the number of distinct training rules I at a fixed budget (Only-IF, arXiv 2410.04717)",
    rules: sweep.rulesList,
    budget: sweep.budget,
    seeds: sweep.seeds,
    instruction: sweep.instruction,
    seenTest: sweep.seenTest,
    synth: sweep.synth,
    train: {
      ...trainShown,
      model: settings.model,
      batchSize: settings.batchSize,
      lr: settings.lr,
      epochs: settings.epochs,
      maxSteps: settings.maxSteps,
      steps: sweep.steps,
      evalEvery: sweep.evalEvery,
      generateAt: sweep.generateAt,
      maxNewTokens: sweep.maxNewTokens,
    },
    testSet: testSetsEqual
      ? "per seed, the same unseen-rule test examples for every I (test rules drawn first; training rules avoid their patterns)"
      : "WARNING: the unseen-rule test set differs between values of I",
    runs,
    summary,
    threshold: [computeThreshold(summary, "unseen"), computeThreshold(summary, "unseenApply")],
  };
}

/** Stage 4: experiment.json, report.html, the charts' specs, timings.json and the images, all or none. */
async function writeSweepOutputs(
  result: OnlyIfResult,
  timings: RunTiming[],
  sweep: Sweep,
  options: OnlyIfOptions,
): Promise<void> {
  const out = sweep.out;
  const charts = onlyIfCharts(result).map((chart) => ({ chart, vega: toVega(chart.spec) }));
  const font = options.pngDir !== undefined ? findFont(options.font) : undefined;
  if (options.pngDir !== undefined) await makeOutputDirs({ out, pngDir: options.pngDir });
  const staged = new Staging();
  try {
    await writeLines(staged.path(join(out, "experiment.json")), [`${JSON.stringify(result, null, 2)}\n`]);
    await writeLines(staged.path(join(out, "report.html")), [onlyIfHtml(result, charts)]);
    for (const { chart } of charts)
      await writeLines(staged.path(join(out, `${chart.name}.vl.json`)), [
        `${JSON.stringify(chart.spec, null, 2)}\n`,
      ]);
    timings.sort((a, b) => a.rules - b.rules || a.seed - b.seed);
    await writeLines(staged.path(join(out, "timings.json")), [
      `${JSON.stringify({ parallel: sweep.parallel, runs: timings }, null, 2)}\n`,
    ]);
    // The images keep their names from before the loss chart: onlyif-threshold(.png|-loss.png).
    const imageName = (name: string) =>
      name === "accuracy" ? "onlyif-threshold" : `onlyif-threshold-${name}`;
    await stageChartImages(
      staged,
      charts.map(({ chart, vega }) => ({ chart: { ...chart, name: imageName(chart.name) }, vega })),
      { pngDir: options.pngDir, font },
    );
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
}

/**
 * Sweep I at a fixed budget: per seed and I, generate the rewrite task with the test rules drawn first
 * (the same unseen-rule test set for every I of a seed), train with the project's train() on exactly the
 * budget, and score greedy answers with exact match. Writes OUT/experiment.json, OUT/report.html,
 * OUT/timings.json, OUT/data/i<I>-seed<s>/ and OUT/runs/i<I>-seed<s>/.
 */
export async function onlyIfThreshold(options: OnlyIfOptions): Promise<OnlyIfResult> {
  const sweep = resolveSweep(options);
  // Data first (cheap, and a bad option fails before any training).
  const { jobs, testSetsEqual } = await writeSweepData(sweep);
  const { runs, timings } = await trainSweep(sweep, jobs, options.onProgress ?? noProgress);
  const result = sweepResult(sweep, runs, testSetsEqual);
  await writeSweepOutputs(result, timings, sweep, options);
  return result;
}
