import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { checkpointExamples, checkpointSteps } from "../analyze/checkpoints.js";
import { histogram } from "../analyze/histogram.js";
import { type RoundMetadata, roundSummary } from "../analyze/metadata.js";
import { evenlySpaced, pca2d } from "../analyze/projection.js";
import { roundedJson } from "../analyze/round-json.js";
import { addSnippets } from "../analyze/snippets.js";
import type {
  Analysis,
  AnalysisProjectionPoint,
  AnalyzeOptions,
  CoverageRow,
  CurveSet,
} from "../analyze/types.js";
import { usageError } from "../core/errors.js";
import { noProgress } from "../core/progress.js";
import { checkOutputPaths } from "../data/outputs.js";
import { setHash } from "../data/overlap.js";
import { checkTrainTestSources, guardedInputs, resolveTrainTest } from "../data/sources.js";
import { Staging, writeLines } from "../data/staging.js";
import type { Dataset } from "../data/types.js";
import { createGemm } from "../linalg/index.js";
import { prefixBigramKl, windowBigramKl } from "../similarity/bigram-kl.js";
import { type EmbeddingCurves, prefixDistances } from "../similarity/prefix-curves.js";
import { weightedSimilarityDistance } from "../similarity/wsd.js";
import { VERSION } from "../version.js";
import { loadInputs } from "./analyze-inputs.js";

export const ANALYZE_DEFAULTS = {
  batchSize: 16,
  saveSteps: 10,
  k: 5,
  contamination: 0.95,
  klEpsilon: 1e-10,
  projectionSample: 5000,
  wsdBins: 50,
  snippetChars: 200,
};

function positiveInt(value: number | undefined, fallback: number, option: string, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min)
    throw usageError(
      `${option} must be an integer >= ${min}, got ${v}`,
      option,
      `pass e.g. ${option} ${fallback}`,
    );
  return v;
}

function validate(o: AnalyzeOptions) {
  checkTrainTestSources(o);
  if ((o.trainEmbeddings === undefined) !== (o.testEmbeddings === undefined))
    throw usageError(
      "precomputed embeddings need both files",
      o.trainEmbeddings === undefined ? "--train-embeddings" : "--test-embeddings",
      "pass both --train-embeddings A.npy and --test-embeddings B.npy, or neither",
    );
  const contamination = o.contamination ?? ANALYZE_DEFAULTS.contamination;
  if (!(contamination >= -1 && contamination <= 1))
    throw usageError(
      `--contamination must be a cosine similarity in [-1, 1], got ${contamination}`,
      "--contamination",
      "pass e.g. --contamination 0.95",
    );
  const klEpsilon = o.klEpsilon ?? ANALYZE_DEFAULTS.klEpsilon;
  if (!(klEpsilon > 0))
    throw usageError(
      `--kl-epsilon must be positive, got ${klEpsilon}`,
      "--kl-epsilon",
      "pass e.g. --kl-epsilon 1e-10",
    );
  return {
    batchSize: positiveInt(o.batchSize, ANALYZE_DEFAULTS.batchSize, "--batch-size"),
    saveSteps: positiveInt(o.saveSteps, ANALYZE_DEFAULTS.saveSteps, "--save-steps"),
    maxSteps: o.maxSteps === undefined ? undefined : positiveInt(o.maxSteps, 100, "--max-steps"),
    k: positiveInt(o.k, ANALYZE_DEFAULTS.k, "--k"),
    projectionSample: positiveInt(
      o.projectionSample,
      ANALYZE_DEFAULTS.projectionSample,
      "--projection-sample",
    ),
    wsdBins: positiveInt(o.wsdBins, ANALYZE_DEFAULTS.wsdBins, "--wsd-bins"),
    snippetChars: positiveInt(o.snippetChars, ANALYZE_DEFAULTS.snippetChars, "--snippet-chars", 0),
    contamination,
    klEpsilon,
  };
}

function fileSummaries(ds: Dataset) {
  return ds.files.map((f) => ({
    path: f.path,
    format: f.format,
    rows: f.rows,
    skipped: f.skipped,
    sha256: f.sha256,
  }));
}

function curveSet(e: EmbeddingCurves, kl: number[]): CurveSet {
  return {
    "cos-min": e.cosMin,
    "cos-max": e.cosMax,
    "cos-avg": e.cosAvg,
    "cos-centroid": e.cosCentroid,
    "euc-min": e.eucMin,
    "euc-max": e.eucMax,
    "euc-avg": e.eucAvg,
    "euc-centroid": e.eucCentroid,
    "kl-bigram": kl,
  };
}

/** Task names in order of first appearance and each row's index into them. */
function taskIndex(tasks: readonly string[]): { names: string[]; taskOf: Int32Array } {
  const ids = new Map<string, number>();
  const taskOf = new Int32Array(tasks.length);
  tasks.forEach((t, i) => {
    let id = ids.get(t);
    if (id === undefined) {
      id = ids.size;
      ids.set(t, id);
    }
    taskOf[i] = id;
  });
  return { names: [...ids.keys()], taskOf };
}

/** Order-independent identity of a training set: SHA-256 of its rows' sorted SHA-256 hashes. */
export function contentHash(texts: readonly string[]): string {
  const rows = texts.map((t) => createHash("sha256").update(t).digest("hex")).sort();
  const h = createHash("sha256");
  for (const r of rows) h.update(`${r}\n`);
  return h.digest("hex");
}

/** Mean of `values` over each prefix (or, with `window`, each interval) ending at a checkpoint. */
function prefixMeans(values: ArrayLike<number>, checkpoints: readonly number[], window: boolean): number[] {
  const out: number[] = [];
  let sum = 0;
  let start = 0;
  let windowSum = 0;
  for (const end of checkpoints) {
    for (let i = start; i < end; i++) {
      sum += values[i]!;
      windowSum += values[i]!;
    }
    out.push(window ? windowSum / (end - start) : sum / end);
    windowSum = 0;
    start = end;
  }
  return out;
}

/** Rows per training task in each checkpoint interval, and distinct tasks per optimizer batch. */
export function composition(
  names: readonly string[],
  taskOf: Int32Array,
  checkpoints: readonly number[],
  batchSize: number,
): NonNullable<Analysis["composition"]> {
  const counts: number[][] = [];
  const distinctPerBatch: number[] = [];
  let start = 0;
  for (const end of checkpoints) {
    const c = new Map<number, number>();
    for (let i = start; i < end; i++) c.set(taskOf[i]!, (c.get(taskOf[i]!) ?? 0) + 1);
    counts.push([...c.entries()].sort((a, b) => a[0] - b[0]).flat());
    let distinct = 0;
    let batches = 0;
    for (let b = start; b < end; b += batchSize) {
      const seen = new Set<number>();
      for (let i = b; i < Math.min(end, b + batchSize); i++) seen.add(taskOf[i]!);
      distinct += seen.size;
      batches++;
    }
    distinctPerBatch.push(batches > 0 ? distinct / batches : 0);
    start = end;
  }
  return { tasks: [...names], counts, distinctPerBatch };
}

/** Round starts kept at most: more could not be told apart on a step axis. */
export const MAX_ROUND_STARTS = 1000;

/** Round sizes and distances, and the round starts within the analyzed prefix when there are not too many. */
function tmaSummary(meta: RoundMetadata, rows: number, batchSize: number) {
  const starts = roundStarts(meta.round, rows, batchSize);
  return {
    ...roundSummary(meta),
    ...(starts.length <= MAX_ROUND_STARTS ? { starts } : { startsOmitted: starts.length }),
  };
}

/** Each place in the first `n` rows of the training order where the TMA round changes (the first row included). */
export function roundStarts(
  round: Int32Array,
  n: number,
  batchSize: number,
): { position: number; step: number; round: number }[] {
  const out: { position: number; step: number; round: number }[] = [];
  for (let i = 0; i < n; i++)
    if (i === 0 || round[i] !== round[i - 1])
      out.push({ position: i, step: Math.floor(i / batchSize) + 1, round: round[i]! });
  return out;
}

/**
 * How similar a training order is to a test set as training proceeds (arXiv 2406.11721, appendix B.3/B.4):
 * distance curves of every checkpoint's training prefix, test coverage and contamination, TMA rounds,
 * the WSD distribution and a 2-D projection. The training set is taken in its file order.
 * Writes the analysis JSON atomically to `options.out` when given.
 */
export async function analyze(options: AnalyzeOptions): Promise<Analysis> {
  const o = validate(options);
  const progress = options.onProgress ?? noProgress;
  const timings: Record<string, number> = {};
  const started = performance.now();
  let t0 = started;
  const tick = (name: string) => {
    const now = performance.now();
    timings[name] = (now - t0) / 1000;
    t0 = now;
  };
  const sources = await resolveTrainTest(options);
  await checkOutputPaths(
    [
      ...(options.data !== undefined ? [{ flag: "--data", path: options.data }] : []),
      ...guardedInputs("--train", sources.train),
      ...guardedInputs("--test", sources.test),
      ...sources.train.files.map((f) => ({ flag: "--train", path: f.path })),
      ...sources.test.files.map((f) => ({ flag: "--test", path: f.path })),
      { flag: "--metadata", path: options.metadata },
      { flag: "--train-embeddings", path: options.trainEmbeddings },
      { flag: "--test-embeddings", path: options.testEmbeddings },
    ],
    [{ flag: "--out", path: options.out, kind: "file" }],
  );
  if (options.out !== undefined) await mkdir(dirname(options.out), { recursive: true });

  const loaded = await loadInputs(options, sources);
  const { train, test, trainM, testM, embedder, meta } = loaded;
  if (train.count === 0)
    throw usageError(
      `the training set ${train.path} has no rows`,
      "--train",
      "pass a non-empty training set",
    );
  if (test.count === 0)
    throw usageError(`the test set ${test.path} has no rows`, "--test", "pass a non-empty test set");
  tick("load");

  // The training task of each row: the metadata's (arrange writes one file whose rows lost their task
  // file), else the training set's own.
  const trainTasks = meta?.task ? taskIndex(meta.task) : train.tasks;
  const warnings: string[] = [...loaded.warnings];
  if (meta !== undefined && meta.unchecked > 0)
    warnings.push(
      `${meta.unchecked} metadata rows have no text_hash (written by an older version), so they were not checked against the training rows`,
    );
  const n = train.count;
  const m = test.count;
  const tasks = test.tasks.names.length;
  const examples = checkpointExamples(
    o.maxSteps === undefined ? n : Math.min(n, o.maxSteps * o.batchSize),
    o.batchSize,
    o.saveSteps,
  );
  const k = Math.min(o.k, n);

  const gemm = await createGemm({ engine: options.engine ?? "ort" });
  let dist: Awaited<ReturnType<typeof prefixDistances>>;
  let proj: Awaited<ReturnType<typeof pca2d>>;
  const sample = evenlySpaced(n, o.projectionSample);
  try {
    if (gemm.fallbackReason) warnings.push(gemm.fallbackReason);
    dist = await prefixDistances(trainM, testM, test.tasks.taskOf, tasks, examples, k, {
      gemm,
      onProgress: progress,
      stage: "analyze",
    });
    tick("distances");
    const d = trainM.cols;
    const rows = new Float32Array((sample.length + m) * d);
    sample.forEach((i, s) => {
      rows.set(trainM.data.subarray(i * d, (i + 1) * d), s * d);
    });
    rows.set(testM.data.subarray(0, m * d), sample.length * d);
    proj = await pca2d(rows, sample.length + m, d, gemm);
    tick("projection");
  } finally {
    await gemm.dispose();
  }

  const kl = prefixBigramKl(train.texts!, test.texts!, test.tasks.taskOf, tasks, examples, o.klEpsilon);
  const windowKl = windowBigramKl(train.texts!, test.texts!, examples, o.klEpsilon);
  tick("kl");

  const overall = curveSet(dist.groups[tasks]!, kl[tasks]!);
  const perTask: Record<string, CurveSet> = {};
  test.tasks.names.forEach((name, t) => {
    perTask[name] = curveSet(dist.groups[t]!, kl[t]!);
  });

  const coverageRows: CoverageRow[] = [];
  const perTaskCoverage: Analysis["coverage"]["perTask"] = {};
  for (const name of test.tasks.names) perTaskCoverage[name] = { rows: 0, flagged: 0, share: 0 };
  let flagged = 0;
  for (let j = 0; j < m; j++) {
    const task = test.tasks.names[test.tasks.taskOf[j]!]!;
    const nearest = [];
    for (let q = 0; q < k; q++) {
      const distance = dist.knnDistance[j * k + q]!;
      const row = dist.knnIndex[j * k + q]!;
      nearest.push({
        train: row,
        distance,
        similarity: -distance,
        ...(row >= 0 ? { task: trainTasks.names[trainTasks.taskOf[row]!]! } : {}),
      });
    }
    const isFlagged = nearest.length > 0 && nearest[0]!.similarity >= o.contamination;
    coverageRows.push({ test: j, task, nearest, flagged: isFlagged });
    const s = perTaskCoverage[task]!;
    s.rows++;
    if (isFlagged) {
      s.flagged++;
      flagged++;
    }
  }
  for (const s of Object.values(perTaskCoverage)) s.share = s.rows > 0 ? s.flagged / s.rows : 0;
  addSnippets(coverageRows, train.texts!, test.texts!, o.snippetChars);

  const wsd = weightedSimilarityDistance(dist.ad, dist.md);
  if (wsd.degenerate) warnings.push("mean cosine-min distance is ~0: the WSD weight is set to 1");

  const points: AnalysisProjectionPoint[] = [];
  sample.forEach((i, s) => {
    const p: AnalysisProjectionPoint = {
      set: "train",
      x: proj.x[s]!,
      y: proj.y[s]!,
      position: i,
      task: trainTasks.names[trainTasks.taskOf[i]!]!,
    };
    if (meta?.hasRounds) p.round = meta.round[i]!;
    points.push(p);
  });
  for (let j = 0; j < m; j++) {
    const s = sample.length + j;
    points.push({
      set: "test",
      x: proj.x[s]!,
      y: proj.y[s]!,
      position: j,
      task: test.tasks.names[test.tasks.taskOf[j]!]!,
    });
  }
  tick("summaries");

  const analysis: Analysis = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "analysis",
    inputs: {
      train: {
        path: train.path,
        files: fileSummaries(train),
        rows: n,
        setHash: setHash(train),
        contentHash: contentHash(train.texts!),
      },
      test: {
        path: test.path,
        files: fileSummaries(test),
        rows: m,
        tasks: test.tasks.names,
        setHash: setHash(test),
      },
      overlap: loaded.overlap,
      ...(options.metadata !== undefined ? { metadata: { path: options.metadata, rows: n } } : {}),
    },
    embedder,
    checkpoints: {
      batchSize: o.batchSize,
      saveSteps: o.saveSteps,
      every: o.batchSize * o.saveSteps,
      examples,
      steps: checkpointSteps(examples, o.batchSize),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    },
    curves: {
      overall,
      perTask,
      klEpsilon: o.klEpsilon,
      wsd: prefixMeans(wsd.values, examples, false),
      window: { overall: curveSet(dist.window, windowKl), wsd: prefixMeans(wsd.values, examples, true) },
    },
    composition: composition(trainTasks.names, trainTasks.taskOf, examples, o.batchSize),
    coverage: { k, threshold: o.contamination, rows: coverageRows, perTask: perTaskCoverage, flagged },
    ...(meta?.hasRounds ? { tma: tmaSummary(meta, examples.at(-1) ?? 0, o.batchSize) } : {}),
    wsd: { weight: wsd.weight, histogram: histogram(wsd.values, o.wsdBins) },
    projection: { explainedVariance: proj.explainedVariance, trainSampled: sample.length, points },
    ...(warnings.length > 0 ? { warnings } : {}),
    timings,
  };
  timings.total = (performance.now() - started) / 1000;

  if (options.out !== undefined) {
    const staged = new Staging();
    try {
      await writeLines(staged.path(options.out), [roundedJson(analysis)]);
      await staged.commit();
    } catch (e) {
      await staged.abort();
      throw e;
    }
  }
  return analysis;
}
