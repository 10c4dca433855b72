import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { arrangeEmbeddings, arrangeSchedule, needsVectors } from "../arrange/index.js";
import { resolveOptions } from "../arrange/resolve-options.js";
import { flagSpelling, strategyMistake } from "../arrange/strategies.js";
import { type TaskMix, taskMix } from "../arrange/task-mix.js";
import type { ArrangeAlgoResult, ResolvedOptions } from "../arrange/types.js";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { redactUrlsIn } from "../core/redact.js";
import type {
  Granularity,
  Matrix,
  Measure,
  Order,
  PickDirection,
  Select,
  Strategy,
  WithinRound,
} from "../core/types.js";
import { checkOutputPaths, defaultManifestPath, type GuardedOutput } from "../data/outputs.js";
import {
  checkOverlapMode,
  type ExactOverlap,
  exactOverlapError,
  findExactOverlap,
  matrixWithoutRows,
  type NearDuplicateReport,
  nearDuplicates,
  type OverlapMode,
  type OverlapPairRecord,
  overlapPairs,
  rowPlace,
  textHashHex,
  withoutRows,
} from "../data/overlap.js";
import { type DataSource, readDataset } from "../data/read.js";
import { readRecords } from "../data/records.js";
import {
  checkTrainTestSources,
  formatOfPath,
  guardedInputs,
  isResolved,
  type ResolvedSources,
  resolveSources,
  resolveTrainTest,
} from "../data/sources.js";
import { Staging, writeLines } from "../data/staging.js";
import type { Dataset } from "../data/types.js";
import { writeArranged } from "../data/write.js";
import type { EmbedderChoice } from "../embed/types.js";
import { createGemm, type GemmEngine } from "../linalg/index.js";
import { trainTestAggregates } from "../similarity/train-test-aggregates.js";
import { runEnvironment, VERSION } from "../version.js";
import { type EmbedderInfo, embedSets, type NpySummary } from "./embed-sets.js";
import type { EmbeddingServiceOptions } from "./start-embedder.js";

/** Everything `arrange` needs; the CLI maps its flags one to one onto these fields. */
/** The embedder fields (embedder, ngramDims, batchSize = texts per embedding batch, …) are EmbedderChoice's. */
export interface ArrangeOptions extends EmbeddingServiceOptions, EmbedderChoice {
  /**
   * Training set: a file (JSONL, JSON, CSV, Parquet, compressed JSONL/JSON/CSV), a directory with one file
   * per task (walked recursively) or holding one dataset, a quoted glob, several of these read in the order
   * given, or records in memory (an array of objects in any record layout; the output is then JSON Lines).
   */
  train?: DataSource | readonly Record<string, unknown>[];
  /** Target (test) set, same forms. */
  test?: DataSource | readonly Record<string, unknown>[];
  /** Instead of train and test: one directory of task files, split by `holdout`. */
  data?: string;
  /** With `data`: task-name prefixes whose files form the test set (the rest is the training set). */
  holdout?: string[];
  /**
   * Training rows whose embedded text equals a test row's: "error" (default) stops before any embedding,
   * "drop" leaves them out (listed in the manifest), "keep" keeps them (a warning in the manifest).
   */
  overlap?: OverlapMode;
  /** Leave out training rows whose cosine similarity to their nearest test row is at least this. */
  decontaminate?: number;
  /** Report (not drop) rows at or above this cosine similarity to a test row (default: per embedder). */
  nearDuplicateThreshold?: number;
  /** Rows per batch for the task-mix statistics of the manifest (default 16, as --export-batch-size). */
  taskMixBatchSize?: number;
  /** Outputs the caller writes after the run (e.g. an export directory), checked with arrange's own before any work. */
  alsoWrites?: GuardedOutput[];
  /** Where to write the arranged training set (input format). Omit to only compute. */
  out?: string;
  /** One JSON line per output row: index, task, round, value, nearest test row. */
  metadata?: string;
  /** Run manifest path; default: beside `out` as `<name>.manifest.json`. `false` writes none. */
  manifest?: string | false;
  strategy?: Strategy;
  measure?: Measure;
  order?: Order;
  granularity?: Granularity;
  pick?: PickDirection;
  /** tma: rows inside a round by training index (default) or shuffled with the seed. */
  withinRound?: WithinRound;
  budget?: number;
  select?: Select;
  /** λ of `select: "diverse"` in [0, 1]: 1 = most diverse (k-center), 0 = most similar to the test set. */
  diversityWeight?: number;
  seed?: number;
  /** Precomputed embeddings (.npy, float32, row i = input row i). */
  trainEmbeddings?: string;
  testEmbeddings?: string;
  template?: string;
  taskField?: string;
  skipInvalid?: boolean;
  /** TMA: largest distance matrix to hold, in GiB (default 6). */
  memoryLimitGiB?: number;
  /** Matrix engine: "ort" (onnxruntime-node, default) or "ts" (pure TypeScript). */
  engine?: "ort" | "ort-cuda" | "ts";
  onProgress?: ProgressSink;
  /** Command line that started the run, recorded in the manifest. */
  argv?: string[];
}

export interface MetadataRow {
  position: number;
  index: number;
  task: string;
  file: string;
  line: number;
  round?: number;
  value?: number;
  picked_by?: number;
  /** Absent when the strategy needed no embeddings (random, round-robin, cluster) and none were given. */
  nearest_test?: number;
  nearest_distance?: number;
  /** --select diverse: the row's 0-based position in the greedy selection order. */
  selected?: number;
  /** 64-bit hash of the row's embedded text (whitespace-normalized), 16 hex digits: ties metadata to its data. */
  text_hash: string;
}

export interface ArrangeRun {
  /** Input-row indices (0-based, across files in sorted name order) in output order (built on first access). */
  readonly order: number[];
  /** One row per output row (built on first access; `result` holds the same in typed arrays). */
  readonly metadata: MetadataRow[];
  manifest: Manifest;
  /** Without embeddings (see `needsVectors`), the result has no nearest test rows. */
  result: ArrangeAlgoResult | VectorlessResult;
}

/** The result of a strategy that needed no embeddings: the order only. */
export type VectorlessResult = Omit<ArrangeAlgoResult, "nearestTest" | "nearestDistance"> & {
  nearestTest?: undefined;
  nearestDistance?: undefined;
};

export interface Manifest {
  tool: string;
  version: string;
  command?: string[];
  /** Tool version and git commit (when run from a checkout), Node, OS and CPU. */
  environment: Record<string, string | number>;
  options: Record<string, unknown>;
  inputs: {
    train: InputSummary;
    test: InputSummary;
    trainEmbeddings?: NpySummary;
    testEmbeddings?: NpySummary;
  };
  embedder: EmbedderInfo;
  engine: string;
  outputs: { out?: string; metadata?: string; format?: string };
  counts: {
    train: { read: number; skipped: number; truncated: number; blankLines: number };
    test: { read: number; skipped: number; truncated: number; blankLines: number };
    output: number;
    tasks: number;
    rounds?: number;
  };
  tma?: { roundSizes: number[] };
  /** --select diverse: weight λ, first row taken (input row), k-center radius of the selection. */
  diverse?: { weight: number; start: number; coverRadius: number | null };
  wsdWeight?: number;
  /** Training rows that copy a test row, and near copies by cosine similarity. */
  overlap?: OverlapSummary;
  /** Distinct tasks per batch over the first batches, against a random order of the same rows. */
  taskMix?: TaskMix;
  /** Things the user should know that did not stop the run (e.g. the matrix engine fell back to TypeScript). */
  warnings?: string[];
  skipped?: { file: string; line: number; reason: string }[];
  timings: Record<string, number>;
}

export interface OverlapSummary {
  mode: OverlapMode;
  exact: {
    count: number;
    /** `file:line` pairs, training row = test row (at most 10,000 listed). */
    pairs: OverlapPairRecord[];
    sharedFiles: ExactOverlap["sharedFiles"];
    /** Rows left out (mode "drop"). */
    dropped: number;
  };
  /** Rows at or above a similarity threshold to their nearest test row, among the output rows. */
  nearDuplicates?: NearDuplicateReport;
  /** --decontaminate: rows left out for their similarity to a test row. */
  decontaminated?: {
    threshold: number;
    count: number;
    rows: { train: string; test: string; similarity: number }[];
  };
}

interface InputSummary {
  path: string;
  files: {
    path: string;
    format: string;
    layout: string;
    rows: number;
    skipped: number;
    bytes: number;
    sha256: string;
  }[];
  ignoredFiles: string[];
  taskSource: string;
  strippedMarkers: number;
}

const DEFAULTS = { strategy: "tma" as Strategy, embedder: "use-lite", seed: 0 };

function validateOptions(o: ArrangeOptions): void {
  checkTrainTestSources(o as ArrangeOptions & { train?: DataSource; test?: DataSource });
  if (o.overlap !== undefined) checkOverlapMode(o.overlap);
  for (const [flag, v] of [
    ["--decontaminate", o.decontaminate],
    ["--near-duplicate", o.nearDuplicateThreshold],
  ] as const)
    if (v !== undefined && !(v > -1 && v <= 1))
      throw usageError(
        `${flag} must be a cosine similarity in (-1, 1], got ${v}`,
        flag,
        `pass e.g. ${flag} 0.95 (see the README's table of values per embedder)`,
      );
  // The strategy's rules are the library's (src/arrange/strategies.ts), checked here before any data is read.
  const mistake = strategyMistake({ ...o, strategy: o.strategy ?? DEFAULTS.strategy }, flagSpelling);
  if (mistake !== undefined) throw usageError(mistake.message, flagSpelling(mistake.option), mistake.fix);
  if (o.budget !== undefined && (!Number.isSafeInteger(o.budget) || o.budget < 1))
    throw usageError(
      `--budget must be a positive integer, got ${o.budget}`,
      "--budget",
      "pass e.g. --budget 1000",
    );
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed))
    throw usageError(`--seed must be an integer, got ${o.seed}`, "--seed", "pass e.g. --seed 0");
  if ((o.trainEmbeddings === undefined) !== (o.testEmbeddings === undefined))
    throw usageError(
      "precomputed embeddings need both files",
      o.trainEmbeddings === undefined ? "--train-embeddings" : "--test-embeddings",
      "pass both --train-embeddings A.npy and --test-embeddings B.npy, or neither",
    );
  if (o.metadata !== undefined && o.out === undefined)
    throw usageError("--metadata needs --out", "--metadata", "add --out FILE for the arranged data");
}

function summarize(ds: Dataset): InputSummary {
  return {
    path: ds.path,
    files: ds.files.map((f) => ({
      path: f.path,
      format: f.format,
      layout: f.layout,
      rows: f.rows,
      skipped: f.skipped,
      bytes: f.bytes,
      sha256: f.sha256,
    })),
    ignoredFiles: ds.ignoredFiles,
    taskSource: ds.taskSource,
    strippedMarkers: ds.strippedMarkers,
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The state every stage of one `arrange` run shares: resolved defaults, timings, warnings, progress. */
interface ArrangeContext {
  options: ArrangeOptions;
  progress: ProgressSink;
  strategy: Strategy;
  seed: number;
  overlapMode: OverlapMode;
  /** Both .npy files given: nothing is embedded. */
  precomputed: boolean;
  /** random, round-robin and cluster order rows by task alone: nothing is embedded unless vectors are given. */
  vectorless: boolean;
  timings: Record<string, number>;
  started: number;
  warnings: string[];
  /** Record the seconds since `t0` under `name`. */
  tick(name: string, t0: number): void;
  /** A warning for the manifest, also reported as progress. */
  warn(w: string): void;
}

type ArrangeSources = { train: ResolvedSources | undefined; test: ResolvedSources | undefined };

/** The strategy's options as given, passed to the algorithm. */
type StrategyOptions = ReturnType<typeof strategyOptionsOf>;

/** What the embedding (or vectorless) stage leaves for the report, manifest and outputs. */
interface Arranged {
  /** The training set without the rows left out (--overlap drop, --decontaminate). */
  train: Dataset;
  result: ArrangeAlgoResult | VectorlessResult;
  resolved: ResolvedOptions;
  embedderName: string;
  embedderInfo: EmbedderInfo;
  truncated: { train: number; test: number };
  npy: { train: NpySummary; test: NpySummary } | undefined;
  engine: string;
}

/**
 * Read a training and a test set, embed them (or load .npy embeddings), arrange the training set by the
 * chosen strategy and write it back in the input's format with metadata and a run manifest.
 */
export async function arrange(options: ArrangeOptions): Promise<ArrangeRun> {
  validateOptions(options);
  const ctx = arrangeContext(options);
  const { sources, manifestPath } = await resolveInputsAndCheckOutputs(options);
  const sets = await readSets(ctx, sources);
  const { exact, overlap } = await checkExactOverlap(ctx, sets.train, sets.test);
  checkBudgetAfterOverlap(options, sets.train.count - overlap.exact.dropped, overlap.exact.dropped);
  const strategyOptions = strategyOptionsOf(ctx);
  const arranged = ctx.vectorless
    ? arrangeWithoutVectors(ctx, sets.train, exact, overlap, strategyOptions)
    : await embedAndArrange(ctx, sets.train, sets.test, exact, overlap, strategyOptions);
  const { train, result } = arranged;
  for (const [k, v] of Object.entries(result.timings)) ctx.timings[`arrange:${k}`] = round6(v);
  for (const w of result.warnings ?? []) ctx.warn(w);
  const threshold = reportNearDuplicates(ctx, arranged, sets.test, overlap);
  const mix = checkTaskMix(ctx, arranged);
  const manifest = buildManifest(ctx, arranged, sets.test, overlap, threshold, mix);
  if (options.out !== undefined)
    await writeOutputs(ctx, arranged, manifest, manifestPath, metadataTextOf(train, sets.test, result));
  else ctx.timings.total = round6((performance.now() - ctx.started) / 1000);
  return lazyRun(result, manifest, train, metadataRowOf(train, sets.test, result));
}

function arrangeContext(options: ArrangeOptions): ArrangeContext {
  const progress = options.onProgress ?? noProgress;
  const strategy = options.strategy ?? DEFAULTS.strategy;
  const precomputed = options.trainEmbeddings !== undefined && options.testEmbeddings !== undefined;
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  return {
    options,
    progress,
    strategy,
    seed: options.seed ?? DEFAULTS.seed,
    overlapMode: checkOverlapMode(options.overlap),
    precomputed,
    vectorless: !precomputed && !needsVectors({ strategy, select: options.select }),
    timings,
    started: performance.now(),
    warnings,
    tick(name, t0) {
      timings[name] = round6((performance.now() - t0) / 1000);
    },
    warn(w) {
      warnings.push(w);
      progress({ stage: "arrange", done: 0, unit: "rows", message: `warning: ${w}` });
    },
  };
}

/** Every path is checked before anything is read: no output may overwrite or be read back as an input. */
async function resolveInputsAndCheckOutputs(
  options: ArrangeOptions,
): Promise<{ sources: ArrangeSources; manifestPath: string | undefined }> {
  const sources = await arrangeSources(options);
  const manifestPath =
    options.out === undefined || options.manifest === false
      ? undefined
      : (options.manifest ?? defaultManifestPath(options.out));
  await checkArrangeOutputs(options, sources, manifestPath);
  return { sources, manifestPath };
}

/** Read both sets (files or records in memory); texts only when they will be embedded. */
async function readSets(
  ctx: ArrangeContext,
  sources: ArrangeSources,
): Promise<{ train: Dataset; test: Dataset }> {
  const { options, progress } = ctx;
  const t0 = performance.now();
  const readOpts = {
    template: options.template,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    texts: !ctx.precomputed && !ctx.vectorless,
    onProgress: progress,
  };
  const train =
    sources.train === undefined
      ? readRecords(options.train as readonly unknown[], { ...readOpts, label: "train" })
      : await readDataset(sources.train, { ...readOpts, label: "train", flag: "--train" });
  const testOpts = { ...readOpts, label: "test", taskField: undefined, flag: "--test" };
  const test =
    sources.test === undefined
      ? readRecords(options.test as readonly unknown[], testOpts)
      : await readDataset(sources.test, testOpts);
  ctx.tick("read", t0);
  progress({ stage: "read", done: 1, unit: "sets", message: describeDataset("train", train) });
  progress({ stage: "read", done: 2, unit: "sets", message: describeDataset("test", test) });
  return { train, test };
}

/** Exact copies of test rows, found by hashing before any embedding, handled by --overlap. */
async function checkExactOverlap(
  ctx: ArrangeContext,
  train: Dataset,
  test: Dataset,
): Promise<{ exact: ExactOverlap; overlap: OverlapSummary }> {
  const { overlapMode, progress } = ctx;
  const t0 = performance.now();
  const exact = await findExactOverlap(train, test);
  ctx.tick("overlap", t0);
  const overlap: OverlapSummary = {
    mode: overlapMode,
    exact: {
      count: exact.trainRows.length,
      pairs: overlapPairs(train, test, exact, 10_000),
      sharedFiles: exact.sharedFiles,
      dropped: 0,
    },
  };
  if (exact.trainRows.length > 0) {
    if (overlapMode === "error") throw exactOverlapError(train, test, exact);
    const n = exact.trainRows.length;
    if (overlapMode === "drop") {
      overlap.exact.dropped = n;
      progress({
        stage: "overlap",
        done: n,
        unit: "rows",
        message: `left out ${n} training row${n === 1 ? "" : "s"} equal to a test row (--overlap drop; listed in the manifest)`,
      });
    } else {
      ctx.warn(
        `${n} training row${n === 1 ? "" : "s"} equal${n === 1 ? "s" : ""} a test row and ${n === 1 ? "is" : "are"} kept (--overlap keep): nearest-first orders put such rows first`,
      );
    }
  }
  return { exact, overlap };
}

/** Something must be left to arrange after --overlap drop, and --budget must fit in it. */
function checkBudgetAfterOverlap(options: ArrangeOptions, remaining: number, dropped: number): void {
  if (remaining === 0)
    throw usageError(
      "every training row equals a test row: nothing is left to arrange",
      "--overlap",
      "give a training set that is not the test set",
    );
  if (options.budget !== undefined && options.budget > remaining) {
    throw usageError(
      `--budget ${options.budget} is larger than the training set (${remaining} rows${dropped > 0 ? " after --overlap drop" : ""})`,
      "--budget",
      `pass --budget ${remaining} or less`,
    );
  }
}

function strategyOptionsOf(ctx: ArrangeContext) {
  const { options } = ctx;
  return {
    strategy: ctx.strategy,
    measure: options.measure,
    order: options.order,
    granularity: options.granularity,
    pick: options.pick,
    withinRound: options.withinRound,
    budget: options.budget,
    select: options.select,
    diversityWeight: options.diversityWeight,
    seed: ctx.seed,
  };
}

/** random, round-robin, cluster without .npy files: the order by task alone, nothing embedded. */
function arrangeWithoutVectors(
  ctx: ArrangeContext,
  trainRead: Dataset,
  exact: ExactOverlap,
  overlap: OverlapSummary,
  strategyOptions: StrategyOptions,
): Arranged {
  const { options, strategy } = ctx;
  if (options.decontaminate !== undefined)
    throw usageError(
      `--decontaminate needs vectors, and --strategy ${strategy} embeds nothing`,
      "--decontaminate",
      "use --overlap drop for exact copies, or a similarity strategy (tma, rank) with --decontaminate",
    );
  const train = overlap.exact.dropped > 0 ? withoutRows(trainRead, exact.trainRows) : trainRead;
  const why = `--strategy ${strategy} orders rows by task alone: nothing embedded, so the metadata has no nearest_test/nearest_distance`;
  ctx.progress({ stage: "embed", done: 1, unit: "sets", message: why });
  return {
    train,
    resolved: resolveOptions(strategyOptions, train.count),
    result: arrangeSchedule(train.count, train.tasks, strategyOptions),
    embedderName: "none",
    embedderInfo: { id: "none", dims: 0, reason: why },
    truncated: { train: 0, test: 0 },
    npy: undefined,
    engine: "none",
  };
}

/** Embed both sets (or load the .npy files), leave out dropped and too similar rows, run the strategy. */
async function embedAndArrange(
  ctx: ArrangeContext,
  trainRead: Dataset,
  test: Dataset,
  exact: ExactOverlap,
  overlap: OverlapSummary,
  strategyOptions: StrategyOptions,
): Promise<Arranged> {
  const { options, progress } = ctx;
  const embedderName = ctx.precomputed ? "precomputed" : (options.embedder ?? DEFAULTS.embedder);
  const t0 = performance.now();
  const embedded = await embedSets(trainRead, test, { ...options, onProgress: progress });
  ctx.tick(ctx.precomputed ? "load-embeddings" : "embed", t0);
  let trainM = embedded.train;
  let train = trainRead;
  if (overlap.exact.dropped > 0) {
    trainM = matrixWithoutRows(trainM, exact.trainRows);
    train = withoutRows(train, exact.trainRows);
  }
  const gemm = await createGemm({ engine: options.engine ?? "ort" });
  try {
    if (options.decontaminate !== undefined)
      ({ train, trainM } = await decontaminate(ctx, train, trainM, test, embedded.test, gemm, overlap));
    const resolved = resolveOptions(strategyOptions, train.count);
    const result = await arrangeEmbeddings(trainM, embedded.test, train.tasks, {
      ...strategyOptions,
      gemm,
      onProgress: progress,
      memoryLimitBytes: options.memoryLimitGiB === undefined ? undefined : options.memoryLimitGiB * 2 ** 30,
    });
    return {
      train,
      result,
      resolved,
      embedderName,
      embedderInfo: embedded.embedder,
      truncated: embedded.truncated,
      npy: embedded.npy,
      engine: gemm.name,
    };
  } finally {
    await gemm.dispose();
  }
}

/** --decontaminate: leave out rows too similar to a test row before arranging (listed in the manifest). */
async function decontaminate(
  ctx: ArrangeContext,
  trainIn: Dataset,
  trainMIn: Matrix,
  test: Dataset,
  testM: Matrix,
  gemm: GemmEngine,
  overlap: OverlapSummary,
): Promise<{ train: Dataset; trainM: Matrix }> {
  const { options, progress } = ctx;
  const threshold = options.decontaminate!;
  let train = trainIn;
  let trainM = trainMIn;
  const t0 = performance.now();
  const agg = await trainTestAggregates(
    trainM,
    testM,
    { nearest: true },
    { gemm, onProgress: progress, stage: "decontaminate" },
  );
  const rows: number[] = [];
  const listed: { train: string; test: string; similarity: number }[] = [];
  for (let i = 0; i < train.count; i++) {
    const sim = -agg.nearestDistance![i]!;
    if (sim >= threshold) {
      rows.push(i);
      if (listed.length < 10_000)
        listed.push({
          train: rowPlace(train, i),
          test: rowPlace(test, agg.nearestTest![i]!),
          similarity: Math.round(sim * 1e4) / 1e4,
        });
    }
  }
  overlap.decontaminated = { threshold, count: rows.length, rows: listed };
  if (rows.length === train.count)
    throw usageError(
      `every training row is at or above --decontaminate ${threshold}: nothing is left to arrange`,
      "--decontaminate",
      "raise the threshold (see the README's values per embedder)",
    );
  if (rows.length > 0) {
    const drop = Int32Array.from(rows);
    trainM = matrixWithoutRows(trainM, drop);
    train = withoutRows(train, drop);
  }
  progress({
    stage: "decontaminate",
    done: rows.length,
    unit: "rows",
    message: `--decontaminate ${threshold}: left out ${rows.length} training row${rows.length === 1 ? "" : "s"} at or above that similarity to a test row (listed in the manifest)`,
  });
  if (options.budget !== undefined && options.budget > train.count)
    throw usageError(
      `--budget ${options.budget} is larger than the training set after --decontaminate (${train.count} rows)`,
      "--budget",
      `pass --budget ${train.count} or less, or raise --decontaminate`,
    );
  ctx.tick("decontaminate", t0);
  return { train, trainM };
}

/** Near copies among the rows that will be trained on: reported, with a warning; returns the threshold. */
function reportNearDuplicates(
  ctx: ArrangeContext,
  { train, result, resolved, embedderName }: Arranged,
  test: Dataset,
  overlap: OverlapSummary,
): number {
  const { options, strategy } = ctx;
  const threshold =
    options.nearDuplicateThreshold ?? options.decontaminate ?? nearDuplicateDefault(embedderName);
  const near =
    result.nearestTest === undefined || result.nearestDistance === undefined
      ? undefined
      : nearDuplicates(train, test, result.order, result.nearestTest, result.nearestDistance, threshold);
  if (near !== undefined) overlap.nearDuplicates = near;
  if (near !== undefined && near.count > 0) {
    const tasks = near.byTestTask
      .slice(0, 3)
      .map(
        (t) =>
          `${t.task}: ${t.count} (e.g. ${t.examples[0]!.train} ~ ${t.examples[0]!.test}, ${t.examples[0]!.similarity})`,
      )
      .join("; ");
    const ordered = resolved.order === "nearest-first" && (strategy === "tma" || strategy === "rank");
    ctx.warn(
      `${near.count} training row${near.count === 1 ? " is" : "s are"} at or above cosine similarity ${threshold} to a test row (${tasks}${near.byTestTask.length > 3 ? "; ..." : ""})` +
        (ordered ? `; nearest-first puts them first (first at position ${near.firstPosition})` : "") +
        `; --decontaminate ${threshold} leaves them out`,
    );
  }
  return threshold;
}

/** How mixed the first batches are: single-task batches train worse than random on P3. */
function checkTaskMix(ctx: ArrangeContext, { train, result, resolved }: Arranged): TaskMix | undefined {
  const { strategy } = ctx;
  const mix = taskMix(result.order, train.tasks.taskOf, ctx.options.taskMixBatchSize ?? 16);
  if (mix !== undefined && train.tasks.names.length > 1 && mix.meanDistinct < mix.randomMean / 2) {
    const why =
      strategy === "cluster" || resolved.granularity === "task"
        ? ` (${strategy === "cluster" ? "--strategy cluster" : "--granularity task"} keeps a task's rows together by design)`
        : strategy === "tma" && resolved.withinRound === "index"
          ? " (--within-round index keeps a round's rows in file order; --within-round shuffle mixes them)"
          : "";
    ctx.warn(
      `the first ${mix.batches} batches of ${mix.batchSize} hold ${mix.meanDistinct} distinct tasks on average (fewest ${mix.minDistinct}), under half of a random order's ${mix.randomMean}${why}`,
    );
  }
  return mix;
}

/**
 * One metadata row is built at a time, from the typed arrays of the result and the row store, when it is
 * written or asked for: a JS object per row would cost ~200 bytes a row for the whole run.
 */
function metadataRowOf(
  train: Dataset,
  test: Dataset,
  result: ArrangeAlgoResult | VectorlessResult,
): (k: number) => MetadataRow {
  return (k) => {
    const i = result.order[k]!;
    return {
      position: k,
      index: train.refs.ordinal[i]!,
      task: train.tasks.names[train.tasks.taskOf[i]!]!,
      file: train.files[train.refs.file[i]!]!.path,
      line: train.refs.line[i]!,
      round: result.round?.[k],
      value: result.value?.[k],
      picked_by: result.pickedBy === undefined ? undefined : test.refs.ordinal[result.pickedBy[k]!]!,
      nearest_test: result.nearestTest === undefined ? undefined : test.refs.ordinal[result.nearestTest[k]!]!,
      nearest_distance: result.nearestDistance?.[k],
      selected: result.selected?.[k],
      text_hash: textHashHex(train, i),
    };
  };
}

/**
 * The same row as JSON text, built without the object: byte-identical to JSON.stringify(metadataRow(k))
 * (a test compares every line), about 3× faster, which matters at a million rows. Task and file names are
 * quoted once each.
 */
function metadataTextOf(
  train: Dataset,
  test: Dataset,
  result: ArrangeAlgoResult | VectorlessResult,
): (k: number) => string {
  const taskJson = train.tasks.names.map((t) => JSON.stringify(t));
  const fileJson = train.files.map((f) => JSON.stringify(f.path));
  return (k) => {
    const i = result.order[k]!;
    let s = `{"position":${k},"index":${train.refs.ordinal[i]!},"task":${taskJson[train.tasks.taskOf[i]!]!},"file":${fileJson[train.refs.file[i]!]!},"line":${train.refs.line[i]!}`;
    if (result.round !== undefined) s += `,"round":${jsonNumber(result.round[k]!)}`;
    if (result.value !== undefined) s += `,"value":${jsonNumber(result.value[k]!)}`;
    if (result.pickedBy !== undefined) s += `,"picked_by":${test.refs.ordinal[result.pickedBy[k]!]!}`;
    if (result.nearestTest !== undefined)
      s += `,"nearest_test":${test.refs.ordinal[result.nearestTest[k]!]!}`;
    if (result.nearestDistance !== undefined)
      s += `,"nearest_distance":${jsonNumber(result.nearestDistance[k]!)}`;
    if (result.selected !== undefined) s += `,"selected":${jsonNumber(result.selected[k]!)}`;
    return `${s},"text_hash":"${textHashHex(train, i)}"}`;
  };
}

/** The run manifest: options as resolved, inputs, embedder, counts, overlap, warnings, timings. */
function buildManifest(
  ctx: ArrangeContext,
  arranged: Arranged,
  test: Dataset,
  overlap: OverlapSummary,
  threshold: number,
  mix: TaskMix | undefined,
): Manifest {
  const { options, warnings } = ctx;
  const { train, result, resolved, truncated, npy } = arranged;
  return {
    tool: "instruct-arrange",
    version: VERSION,
    // Recorded without credentials: a URL's userinfo and query values (an --endpoint ?api-key=...) are redacted.
    command: options.argv?.map(redactUrlsIn),
    environment: runEnvironment(),
    options: {
      strategy: resolved.strategy,
      measure: resolved.strategy === "rank" ? resolved.measure : undefined,
      order: resolved.order,
      granularity: resolved.granularity,
      pick: resolved.strategy === "tma" ? resolved.pick : undefined,
      withinRound: resolved.strategy === "tma" ? resolved.withinRound : undefined,
      budget: resolved.budget,
      select: resolved.budget === undefined ? undefined : resolved.select,
      diversityWeight: resolved.select === "diverse" ? resolved.diversityWeight : undefined,
      seed: ctx.seed,
      overlap: ctx.overlapMode,
      decontaminate: options.decontaminate,
      nearDuplicateThreshold: threshold,
      embedder: arranged.embedderName,
      template: options.template,
      taskField: options.taskField,
      skipInvalid: options.skipInvalid ?? false,
      memoryLimitGiB: resolved.memoryLimitBytes / 2 ** 30,
    },
    inputs: {
      train: summarize(train),
      test: summarize(test),
      trainEmbeddings: npy?.train,
      testEmbeddings: npy?.test,
    },
    embedder: arranged.embedderInfo,
    engine: arranged.engine,
    outputs: { out: options.out, metadata: options.metadata },
    counts: {
      train: {
        read: train.count + overlap.exact.dropped + (overlap.decontaminated?.count ?? 0),
        skipped: train.skippedCount,
        truncated: truncated.train,
        blankLines: train.blankLines,
      },
      test: {
        read: test.count,
        skipped: test.skippedCount,
        truncated: truncated.test,
        blankLines: test.blankLines,
      },
      output: result.order.length,
      tasks: train.tasks.names.length,
      rounds: result.roundSizes?.length,
    },
    tma: result.roundSizes ? { roundSizes: result.roundSizes } : undefined,
    wsdWeight: result.wsdWeight,
    diverse: result.diverse
      ? { ...result.diverse, start: train.refs.ordinal[result.diverse.start]! }
      : undefined,
    overlap,
    taskMix: mix,
    warnings: warnings.length > 0 ? warnings : undefined,
    skipped: train.skipped.length + test.skipped.length > 0 ? [...train.skipped, ...test.skipped] : undefined,
    timings: ctx.timings,
  };
}

/**
 * Write the arranged data, the metadata and the manifest: each is staged beside its destination, then all
 * are renamed, so a failure leaves nothing behind. The manifest's total time is taken before it is written.
 */
async function writeOutputs(
  ctx: ArrangeContext,
  { train, result }: Arranged,
  manifest: Manifest,
  manifestPath: string | undefined,
  metadataText: (k: number) => string,
): Promise<void> {
  const { options, timings } = ctx;
  const out = options.out!;
  const t0 = performance.now();
  for (const p of [out, options.metadata, manifestPath])
    if (p !== undefined) await mkdir(dirname(p), { recursive: true });
  const staged = new Staging();
  try {
    const outTmp = staged.path(out);
    const written = await writeArranged(train, result.order, outTmp);
    manifest.outputs.format = written.format;
    if (options.metadata !== undefined) {
      await writeLines(staged.path(options.metadata), metadataLines(result.order.length, metadataText));
    }
    ctx.tick("write", t0);
    timings.total = round6((performance.now() - ctx.started) / 1000);
    if (manifestPath !== undefined) {
      await writeLines(staged.path(manifestPath), [`${JSON.stringify(manifest, null, 2)}\n`]);
    }
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
}

/** The run's `order` and `metadata` arrays, each built on first access only (callers of the library). */
function lazyRun(
  result: ArrangeAlgoResult | VectorlessResult,
  manifest: Manifest,
  train: Dataset,
  metadataRow: (k: number) => MetadataRow,
): ArrangeRun {
  let order: number[] | undefined;
  let metadata: MetadataRow[] | undefined;
  return {
    get order() {
      order ??= Array.from(result.order, (i) => train.refs.ordinal[i]!);
      return order;
    },
    get metadata() {
      metadata ??= Array.from({ length: result.order.length }, (_, k) => metadataRow(k));
      return metadata;
    },
    manifest,
    result,
  };
}

/** Default similarity at which near copies of test rows are reported, by embedder (measured on P3; README). */
export function nearDuplicateDefault(embedder: string): number {
  return NEAR_DUPLICATE_DEFAULTS[embedder] ?? NEAR_DUPLICATE_DEFAULTS.default!;
}

// Measured on P3 (README, "Train/test overlap"): the same ag_news article under two templates scores at
// least 0.896 with ngram (unrelated rows at most 0.281) and a median of 0.955 (5th percentile 0.897) with
// use-lite when only the prompt's parts are reordered. Other encoders were not measured here.
const NEAR_DUPLICATE_DEFAULTS: Record<string, number> = {
  ngram: 0.85,
  "use-lite": 0.9,
  minilm: 0.95,
  default: 0.95,
};

/** Output paths of `arrange`, checked against its inputs and each other before anything is read. */
/** In-memory records (an array of objects) rather than paths. */
export function isRecords(v: ArrangeOptions["train"]): v is readonly Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === "object" && v[0] !== null;
}

/** The files each set reads; a set given as records in memory has none (undefined). */
async function arrangeSources(
  o: ArrangeOptions,
): Promise<{ train: ResolvedSources | undefined; test: ResolvedSources | undefined }> {
  if (!isRecords(o.train) && !isRecords(o.test))
    return resolveTrainTest(o as ArrangeOptions & { train?: DataSource; test?: DataSource });
  if (o.data !== undefined)
    throw usageError("--data splits a directory; it cannot be combined with records in memory", "--data");
  const side = async (v: ArrangeOptions["train"], flag: string) =>
    isRecords(v)
      ? undefined
      : isResolved(v as DataSource)
        ? (v as ResolvedSources)
        : resolveSources(v as string | readonly string[], flag);
  return { train: await side(o.train, "--train"), test: await side(o.test, "--test") };
}

async function checkArrangeOutputs(
  o: ArrangeOptions,
  sources: { train: ResolvedSources | undefined; test: ResolvedSources | undefined },
  manifestPath: string | undefined,
): Promise<void> {
  const inputs = [
    ...(o.data !== undefined ? [{ flag: "--data", path: o.data }] : []),
    ...(sources.train === undefined ? [] : guardedInputs("--train", sources.train)),
    ...(sources.test === undefined ? [] : guardedInputs("--test", sources.test)),
    ...(sources.train?.files ?? []).map((f) => ({ flag: "--train", path: f.path })),
    ...(sources.test?.files ?? []).map((f) => ({ flag: "--test", path: f.path })),
    { flag: "--train-embeddings", path: o.trainEmbeddings },
    { flag: "--test-embeddings", path: o.testEmbeddings },
  ];
  const formats = [...new Set((sources.train?.files ?? []).map((f) => f.format))];
  const outputs: GuardedOutput[] = [{ flag: "--out", path: o.out, kind: "file" }];
  if (o.out !== undefined && formats.length === 1 && formats[0] !== "arrow") {
    const named = formatOfPath(o.out);
    if (named !== undefined && named !== formats[0])
      throw usageError(
        `--out ${o.out} names the ${named} format, but the training data is ${formats[0]} and is written as it is`,
        "--out",
        `name the output with the input's extension (.${formats[0]}), or convert the input to ${named} first`,
      );
  }
  outputs.push({ flag: "--metadata", path: o.metadata, kind: "file" });
  outputs.push({ flag: "--manifest", path: manifestPath, kind: "file" });
  outputs.push(...(o.alsoWrites ?? []));
  await checkOutputPaths(inputs, outputs);
}

/** One line a user reads to check that the data was understood: files, formats, layouts, rows, tasks. */
export function describeDataset(label: string, ds: Dataset): string {
  const count = (values: string[]) => {
    const m = new Map<string, number>();
    for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
    return [...m].map(([k, n]) => (m.size === 1 ? k : `${k} x${n}`)).join(", ");
  };
  const withRows = ds.files.filter((f) => f.rows > 0 || f.skipped > 0);
  const parts = [
    `${label}: ${ds.path}`,
    `${ds.files.length} file${ds.files.length === 1 ? "" : "s"} (${count(withRows.map((f) => f.format))}; layout ${count(withRows.map((f) => f.layout))})`,
    `${ds.count} rows`,
    `${ds.tasks.names.length} task${ds.tasks.names.length === 1 ? "" : "s"} from ${ds.taskSource}`,
  ];
  const empty = ds.files.length - withRows.length;
  if (empty > 0) parts.push(`${empty} empty file${empty === 1 ? "" : "s"}`);
  if (ds.skippedCount > 0) parts.push(`${ds.skippedCount} invalid rows skipped`);
  if (ds.ignoredFiles.length > 0) parts.push(`ignored: ${ds.ignoredFiles.join(", ")}`);
  return parts.join(", ");
}

function* metadataLines(n: number, text: (k: number) => string): Generator<string> {
  for (let k = 0; k < n; k++) yield `${text(k)}\n`;
}

/** A number as JSON.stringify writes it: finite values as JavaScript prints them, the others as null. */
function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : "null";
}
