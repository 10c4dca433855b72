import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { Analysis } from "../analyze/types.js";
import { CURVE_NAMES } from "../analyze/types.js";
import { inputError, usageError } from "../core/errors.js";
import { Staging, writeLines } from "../data/staging.js";
import { readExperiment } from "../experiment/result.js";
import { armId } from "../experiment/spec.js";
import { predictCharts } from "../report/charts/predicted.js";
import { makeOutputDirs, stageChartImages } from "../report/images.js";
import { predictHtml } from "../report/pages/predict.js";
import { findFont, toVega } from "../report/render.js";
import { VERSION } from "../version.js";
import { type FittedModel, fitGroupRidge, mae, type Observation, predictRow, rmse, rSquared } from "./fit.js";

/** The features: the nine prefix curves and the prefix rows' mean WSD, at the evaluated step. */
export const PREDICT_FEATURES = [...CURVE_NAMES, "wsd"] as const;

export interface PredictOptions {
  /** Experiment directories (holding experiment.json) or experiment.json files. */
  experiments: string[];
  /**
   * Per experiment, a directory of analyses of its arranged files, `<name>.analysis.json` or `<name>.json`
   * for `arranged/<name>.jsonl`; used for runs whose experiment.json names no analysis.
   */
  analyses?: string[];
  /** The JSON to write. */
  out: string;
  /** Also an HTML page (predicted against measured, the fit, the errors). */
  html?: string;
  pngDir?: string;
  svgDir?: string;
  font?: string;
  /** Ridge penalty on the standardized features (default 1). */
  lambda?: number;
}

/** One evaluated step of one run. */
export interface PredictPoint {
  experiment: string;
  arm: string;
  seed: number;
  step: number;
  loss: number;
  features: Record<string, number>;
}

export interface ModelReport {
  name: string;
  description: string;
  features: string[];
  /** Fit on every point: R² and the standardized coefficients (loss change per standard deviation). */
  fit: { r2: number; rmse: number; coefficients: Record<string, number> };
  /** Error predicting held-out points: every (experiment, arm) in turn, every seed in turn. */
  heldOutArm: { rmse: number; mae: number; r2: number };
  heldOutSeed: { rmse: number; mae: number; r2: number };
}

export interface PredictResult {
  tool: "instruct-arrange";
  version: string;
  kind: "predict";
  experiments: { path: string; name: string; arms: string[]; seeds: number[]; points: number }[];
  lambda: number;
  features: string[];
  points: PredictPoint[];
  models: ModelReport[];
  /** Held-out-arm predictions of every model, point by point (same order as `points`). */
  heldOutArmPredictions: Record<string, number[]>;
  heldOutSeedPredictions: Record<string, number[]>;
  finding: string;
}

async function readJson(path: string, what: string, fix: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw inputError(`cannot read the ${what}: ${(cause as Error).message}`, path, undefined, fix);
  }
}

const isAnalysis = (v: unknown): v is Analysis =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "analysis";

/** The curves of a run: its run directory's curves.json, else `<experiment dir>/<arm>-seed<k>.curves.json`. */
async function runCurves(expDir: string, run: { runDir: string; arm: string; seed: number; label: string }) {
  const candidates = [
    join(run.runDir, "curves.json"),
    join(expDir, `${armId(run.arm)}-seed${run.seed}.curves.json`),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined)
    throw inputError(
      `no training curves for ${run.label}: looked for ${candidates.join(" and ")}`,
      expDir,
      undefined,
      "keep each run's curves.json in its run directory, or <arm>-seed<k>.curves.json beside experiment.json",
    );
  const json = (await readJson(found, "training curves", "pass the curves.json that `train` wrote")) as {
    points?: { step: number; test?: { loss?: number | null } }[];
  };
  if (!Array.isArray(json.points))
    throw inputError(
      "not a training curves file (no points)",
      found,
      undefined,
      "pass the curves.json that `train` wrote",
    );
  return { path: found, points: json.points };
}

/** The analysis of a run's arranged data: the one experiment.json names, else one in `dir` by name. */
async function runAnalysis(
  run: { arranged: string; analysis?: string; label: string },
  dir: string | undefined,
  cache: Map<string, Analysis>,
): Promise<{ path: string; analysis: Analysis }> {
  const stem = basename(run.arranged, extname(run.arranged));
  const candidates = [
    ...(run.analysis !== undefined ? [run.analysis] : []),
    ...(dir !== undefined ? [join(dir, `${stem}.analysis.json`), join(dir, `${stem}.json`)] : []),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined)
    throw usageError(
      `no analysis of ${run.label}'s arranged data ${run.arranged}` +
        (candidates.length > 0 ? ` (looked for ${candidates.join(", ")})` : ""),
      "--analyses",
      `pass --analyses DIR holding ${stem}.analysis.json (instruct-arrange analyze --train ${stem}.jsonl --batch-size B --save-steps EVAL_EVERY --max-steps STEPS)`,
    );
  let a = cache.get(found);
  if (a === undefined) {
    const json = await readJson(found, "analysis", "pass a file written by `instruct-arrange analyze --out`");
    if (!isAnalysis(json))
      throw inputError(
        "not an instruct-arrange analysis",
        found,
        undefined,
        "pass a file written by `analyze --out`",
      );
    if (!Array.isArray(json.curves.wsd))
      throw inputError(
        "the analysis has no prefix WSD curve (written by an older version)",
        found,
        undefined,
        "rerun `instruct-arrange analyze` on the arranged file",
      );
    a = json;
    cache.set(found, a);
  }
  return { path: found, analysis: a };
}

/** Every evaluated step after step 0 of every run, with the analysis' measures at that step. */
export async function collectPoints(o: Pick<PredictOptions, "experiments" | "analyses">) {
  if (o.experiments.length === 0)
    throw usageError("no experiment given", "--experiment", "pass --experiment DIR (an experiment's OUT)");
  if (o.analyses !== undefined && o.analyses.length > 0 && o.analyses.length !== o.experiments.length)
    throw usageError(
      `${o.analyses.length} --analyses for ${o.experiments.length} --experiment`,
      "--analyses",
      "give one --analyses DIR per --experiment, in the same order, or none",
    );
  const points: PredictPoint[] = [];
  const experiments: PredictResult["experiments"] = [];
  const cache = new Map<string, Analysis>();
  for (const [e, given] of o.experiments.entries()) {
    const file = (await stat(given).catch(() => undefined))?.isDirectory()
      ? join(given, "experiment.json")
      : given;
    const result = await readExperiment(file);
    const expDir = dirname(file);
    const name = experiments.some((x) => x.name === result.name) ? `${result.name} #${e + 1}` : result.name;
    let count = 0;
    for (const run of result.runs) {
      const curves = await runCurves(expDir, run);
      const { path, analysis } = await runAnalysis(run, o.analyses?.[e], cache);
      const steps = analysis.checkpoints.steps;
      for (const p of curves.points) {
        const loss = p.test?.loss;
        if (p.step === 0 || typeof loss !== "number") continue;
        const i = steps.indexOf(p.step);
        if (i < 0)
          throw inputError(
            `the analysis has no checkpoint at step ${p.step}, where ${run.label} was evaluated (its checkpoints: every ${analysis.checkpoints.saveSteps} steps of ${analysis.checkpoints.batchSize})`,
            path,
            undefined,
            `rerun analyze with --batch-size ${result.training?.batchSize ?? "B"} --save-steps ${result.training?.evalEvery ?? "EVAL_EVERY"}`,
          );
        const features: Record<string, number> = {};
        for (const m of CURVE_NAMES) features[m] = analysis.curves.overall[m][i]!;
        features.wsd = analysis.curves.wsd![i]!;
        points.push({ experiment: name, arm: run.arm, seed: run.seed, step: p.step, loss, features });
        count++;
      }
    }
    experiments.push({
      path: file,
      name,
      arms: [...new Set(result.runs.map((r) => r.arm))],
      seeds: [...new Set(result.runs.map((r) => r.seed))],
      points: count,
    });
  }
  return { points, experiments };
}

const MODELS: { name: string; description: string; features: string[] }[] = [
  {
    name: "step",
    description:
      "Baseline from the step alone: the mean test loss of the training points of the same experiment at the same step.",
    features: [],
  },
  {
    name: "step + similarity",
    description:
      "The step baseline plus a ridge fit of the loss's deviation from it on the deviations of the ten standardized measures from their mean at that step.",
    features: [...PREDICT_FEATURES],
  },
  ...PREDICT_FEATURES.map((f) => ({
    name: `step + ${f}`,
    description: `The step baseline plus a fit of the loss's deviation from it on ${f}'s deviation from its mean at that step (one measure alone).`,
    features: [f] as string[],
  })),
];

const groupOf = (p: PredictPoint) => `${p.experiment}\u0000${p.step}`;
const observe = (p: PredictPoint, features: readonly string[]): Observation => ({
  group: groupOf(p),
  x: features.map((f) => p.features[f]!),
  y: p.loss,
});

function crossValidate(
  points: PredictPoint[],
  features: readonly string[],
  lambda: number,
  fold: (p: PredictPoint) => string,
) {
  const folds = [...new Set(points.map(fold))];
  const predicted = new Array<number>(points.length);
  for (const f of folds) {
    const train = points.filter((p) => fold(p) !== f).map((p) => observe(p, features));
    const model = fitGroupRidge(train, lambda);
    points.forEach((p, i) => {
      if (fold(p) === f) predicted[i] = predictRow(model, observe(p, features));
    });
  }
  return predicted;
}

const round = (x: number) => Number(x.toPrecision(6));

/**
 * Fit test loss at each evaluated step against the similarity of the training prefix at that step, over
 * every arm and seed of the experiments given; report the fit and its error on held-out arms and seeds,
 * next to the baseline that knows only the step.
 */
export async function predict(options: PredictOptions): Promise<PredictResult> {
  const lambda = options.lambda ?? 1;
  if (!(lambda > 0 && Number.isFinite(lambda)))
    throw usageError(`--lambda must be positive, got ${lambda}`, "--lambda", "pass e.g. --lambda 1");
  const font = options.pngDir !== undefined ? findFont(options.font) : undefined;
  const { points, experiments } = await collectPoints(options);
  if (points.length < 4)
    throw usageError(
      `only ${points.length} evaluated steps to fit`,
      "--experiment",
      "pass experiments with more runs or evaluations",
    );
  const y = points.map((p) => p.loss);
  const armFold = (p: PredictPoint) => `${p.experiment}\u0000${p.arm}`;
  const seedFold = (p: PredictPoint) => String(p.seed);
  const models: ModelReport[] = [];
  const armPred: Record<string, number[]> = {};
  const seedPred: Record<string, number[]> = {};
  for (const m of MODELS) {
    const full: FittedModel = fitGroupRidge(
      points.map((p) => observe(p, m.features)),
      lambda,
    );
    const fitted = points.map((p) => predictRow(full, observe(p, m.features)));
    const byArm = crossValidate(points, m.features, lambda, armFold);
    const bySeed = crossValidate(points, m.features, lambda, seedFold);
    armPred[m.name] = byArm.map(round);
    seedPred[m.name] = bySeed.map(round);
    const err = (pred: number[]) => ({
      rmse: round(rmse(y, pred)),
      mae: round(mae(y, pred)),
      r2: round(rSquared(y, pred)),
    });
    models.push({
      name: m.name,
      description: m.description,
      features: [...m.features],
      fit: {
        r2: round(rSquared(y, fitted)),
        rmse: round(rmse(y, fitted)),
        coefficients: Object.fromEntries(m.features.map((f, j) => [f, round(full.beta[j]!)])),
      },
      heldOutArm: err(byArm),
      heldOutSeed: err(bySeed),
    });
  }
  const [base, sim] = [models[0]!, models[1]!];
  const better = (a: number, b: number) => (a < b ? "lower" : a > b ? "higher" : "equal");
  const single = models.slice(2);
  const best = [...single].sort((a, b) => a.heldOutArm.rmse - b.heldOutArm.rmse)[0]!;
  const finding =
    `Held-out arm: RMSE ${sim.heldOutArm.rmse} with all ten measures vs ${base.heldOutArm.rmse} from the step alone (${better(sim.heldOutArm.rmse, base.heldOutArm.rmse)}); ` +
    `best single measure ${best.features[0]} ${best.heldOutArm.rmse}. ` +
    `Held-out seed: ${sim.heldOutSeed.rmse} vs ${base.heldOutSeed.rmse} (${better(sim.heldOutSeed.rmse, base.heldOutSeed.rmse)}). ` +
    (sim.heldOutArm.rmse < base.heldOutArm.rmse
      ? "With all ten measures, similarity predicts part of how an unseen arrangement's loss departs from the step mean."
      : "With all ten measures, similarity does not predict an unseen arrangement's loss better than the step alone") +
    (best.heldOutArm.rmse < base.heldOutArm.rmse && !(sim.heldOutArm.rmse < base.heldOutArm.rmse)
      ? `; the best single measure does (${best.features[0]}), but it is picked after the fact from ten, so treat it as a hypothesis to test on other runs.`
      : ".");
  const result: PredictResult = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "predict",
    experiments,
    lambda,
    features: [...PREDICT_FEATURES],
    points: points.map((p) => ({
      ...p,
      loss: round(p.loss),
      features: Object.fromEntries(Object.entries(p.features).map(([k, v]) => [k, round(v)])),
    })),
    models,
    heldOutArmPredictions: armPred,
    heldOutSeedPredictions: seedPred,
    finding,
  };
  const charts =
    options.html !== undefined || options.pngDir !== undefined || options.svgDir !== undefined
      ? predictCharts(result).map((chart) => ({ chart, vega: toVega(chart.spec) }))
      : [];
  await makeOutputDirs({ out: options.out, pngDir: options.pngDir, svgDir: options.svgDir });
  if (options.html !== undefined) await makeOutputDirs({ out: options.html });
  const staged = new Staging();
  try {
    await writeLines(staged.path(options.out), [`${JSON.stringify(result, null, 2)}\n`]);
    if (options.html !== undefined)
      await writeLines(staged.path(options.html), [predictHtml(result, charts)]);
    await stageChartImages(staged, charts, { pngDir: options.pngDir, svgDir: options.svgDir, font });
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return result;
}
