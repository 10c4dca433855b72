import { mkdir } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { arrangeEmbeddings } from "../arrange/index.js";
import type { ArrangeAlgoResult } from "../arrange/types.js";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Granularity, Measure, Order, Pick, Select, Strategy, WithinRound } from "../core/types.js";
import { MEASURES, STRATEGIES } from "../core/types.js";
import { readDataset } from "../data/read.js";
import type { Dataset } from "../data/types.js";
import { writeArranged } from "../data/write.js";
import { createGemm } from "../linalg/index.js";
import { VERSION } from "../version.js";
import { type EmbedderInfo, embedSets, type NpySummary } from "./embed-sets.js";
import { Staging, writeLines } from "./staging.js";
import type { EmbeddingServiceOptions } from "./start-embedder.js";

/** Everything `arrange` needs; the CLI maps its flags one to one onto these fields. */
export interface ArrangeOptions extends EmbeddingServiceOptions {
  /** Training set: a file (JSONL, JSON, CSV, Parquet) or a directory with one file per task. */
  train: string;
  /** Target (test) set, same formats. */
  test: string;
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
  pick?: Pick;
  /** tma: rows inside a round by training index (default) or shuffled with the seed. */
  withinRound?: WithinRound;
  budget?: number;
  select?: Select;
  /** λ of `select: "diverse"` in [0, 1]: 1 = most diverse (k-center), 0 = most similar to the test set. */
  diversityWeight?: number;
  seed?: number;
  /** Embedding backend name (default "use-lite"). Ignored when both embedding files are given. */
  embedder?: string;
  /** ngram backend dimensions. */
  ngramDims?: number;
  /** use-lite token limit per text. */
  maxTokens?: number;
  batchSize?: number;
  /** minilm / hf:<id>: local model directory (no download). */
  modelDir?: string;
  /** minilm / hf:<id>: largest padded batch in tokens. */
  tokenBudget?: number;
  /** minilm / hf:<id>: the 8-bit model. */
  quantized?: boolean;
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
  nearest_test: number;
  nearest_distance: number;
  /** --select diverse: the row's 0-based position in the greedy selection order. */
  selected?: number;
}

export interface ArrangeRun {
  /** Input-row indices (0-based, across files in sorted name order) in output order. */
  order: number[];
  metadata: MetadataRow[];
  manifest: Manifest;
  result: ArrangeAlgoResult;
}

export interface Manifest {
  tool: string;
  version: string;
  command?: string[];
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
  /** Things the user should know that did not stop the run (e.g. the matrix engine fell back to TypeScript). */
  warnings?: string[];
  skipped?: { file: string; line: number; reason: string }[];
  timings: Record<string, number>;
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
  if (!o.train) throw usageError("no training set given", "--train", "pass --train FILE|DIR");
  if (!o.test) throw usageError("no test set given", "--test", "pass --test FILE|DIR");
  const strategy = o.strategy ?? DEFAULTS.strategy;
  if (!STRATEGIES.includes(strategy))
    throw usageError(`unknown strategy "${strategy}"`, "--strategy", `use one of: ${STRATEGIES.join(", ")}`);
  if (o.measure !== undefined && !MEASURES.includes(o.measure))
    throw usageError(`unknown measure "${o.measure}"`, "--measure", `use one of: ${MEASURES.join(", ")}`);
  if (o.measure !== undefined && strategy !== "rank")
    throw usageError(
      `--measure applies to --strategy rank, not ${strategy}`,
      "--measure",
      "drop --measure or use --strategy rank",
    );
  if (o.pick !== undefined && strategy !== "tma")
    throw usageError(
      `--pick applies to --strategy tma, not ${strategy}`,
      "--pick",
      "drop --pick or use --strategy tma",
    );
  if (o.granularity !== undefined && strategy !== "rank" && strategy !== "tma")
    throw usageError(
      `--granularity applies to --strategy rank or tma, not ${strategy}`,
      "--granularity",
      "drop --granularity",
    );
  if (o.select !== undefined && o.budget === undefined)
    throw usageError(
      "--select needs --budget",
      "--select",
      "add --budget M (the number of examples to keep)",
    );
  if (o.diversityWeight !== undefined && o.select !== "diverse")
    throw usageError(
      "--diversity-weight applies to --select diverse",
      "--diversity-weight",
      "add --budget M --select diverse, or drop --diversity-weight",
    );
  if (o.order === "selection" && o.select !== "diverse")
    throw usageError(
      "--order selection keeps the order of a diverse selection",
      "--order",
      "add --budget M --select diverse, or choose another --order",
    );
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

function defaultManifestPath(out: string): string {
  const ext = extname(out);
  const stem = basename(out, ext);
  return join(dirname(out), `${stem}.manifest.json`);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Read a training and a test set, embed them (or load .npy embeddings), arrange the training set by the
 * chosen strategy and write it back in the input's format with metadata and a run manifest.
 */
export async function arrange(options: ArrangeOptions): Promise<ArrangeRun> {
  validateOptions(options);
  const progress = options.onProgress ?? noProgress;
  const strategy = options.strategy ?? DEFAULTS.strategy;
  const seed = options.seed ?? DEFAULTS.seed;
  const precomputed = options.trainEmbeddings !== undefined && options.testEmbeddings !== undefined;
  const timings: Record<string, number> = {};
  const tick = (name: string, t0: number) => {
    timings[name] = round6((performance.now() - t0) / 1000);
  };
  const started = performance.now();

  if (options.out !== undefined) {
    await mkdir(dirname(options.out), { recursive: true });
  }

  let t0 = performance.now();
  const readOpts = {
    template: options.template,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    texts: !precomputed,
    onProgress: progress,
  };
  const train = await readDataset(options.train, { ...readOpts, label: "train" });
  const test = await readDataset(options.test, { ...readOpts, label: "test", taskField: undefined });
  tick("read", t0);
  progress({ stage: "read", done: 1, unit: "sets", message: describeDataset("train", train) });
  progress({ stage: "read", done: 2, unit: "sets", message: describeDataset("test", test) });
  if (options.budget !== undefined && options.budget > train.count) {
    throw usageError(
      `--budget ${options.budget} is larger than the training set (${train.count} rows)`,
      "--budget",
      `pass --budget ${train.count} or less`,
    );
  }

  t0 = performance.now();
  const embedded = await embedSets(train, test, { ...options, onProgress: progress });
  tick(precomputed ? "load-embeddings" : "embed", t0);
  const { train: trainM, test: testM, truncated, npy } = embedded;
  const embedderInfo = embedded.embedder;

  // The strategy's options, passed to the algorithm and recorded in the manifest as given.
  const strategyOptions = {
    strategy,
    measure: options.measure,
    order: options.order,
    granularity: options.granularity,
    pick: options.pick,
    withinRound: options.withinRound,
    budget: options.budget,
    select: options.select,
    diversityWeight: options.diversityWeight,
    seed,
  };
  const gemm = await createGemm({ engine: options.engine ?? "ort" });
  let result: ArrangeAlgoResult;
  try {
    result = await arrangeEmbeddings(trainM, testM, train.tasks, {
      ...strategyOptions,
      gemm,
      onProgress: progress,
      memoryLimitBytes: options.memoryLimitGiB === undefined ? undefined : options.memoryLimitGiB * 2 ** 30,
    });
  } finally {
    await gemm.dispose();
  }
  for (const [k, v] of Object.entries(result.timings)) timings[`arrange:${k}`] = round6(v);
  for (const w of result.warnings ?? [])
    progress({ stage: "arrange", done: 0, unit: "rows", message: `warning: ${w}` });

  const order = Array.from(result.order, (i) => train.refs.ordinal[i]!);
  const metadata: MetadataRow[] = [];
  for (let k = 0; k < result.order.length; k++) {
    const i = result.order[k]!;
    const row: MetadataRow = {
      position: k,
      index: train.refs.ordinal[i]!,
      task: train.tasks.names[train.tasks.taskOf[i]!]!,
      file: train.files[train.refs.file[i]!]!.path,
      line: train.refs.line[i]!,
      round: result.round?.[k],
      value: result.value?.[k],
      picked_by: result.pickedBy === undefined ? undefined : test.refs.ordinal[result.pickedBy[k]!]!,
      nearest_test: test.refs.ordinal[result.nearestTest[k]!]!,
      nearest_distance: result.nearestDistance[k]!,
      selected: result.selected?.[k],
    };
    metadata.push(row);
  }

  const manifest: Manifest = {
    tool: "instruct-arrange",
    version: VERSION,
    command: options.argv,
    options: {
      ...strategyOptions,
      measure: options.measure ?? (strategy === "rank" ? "wsd" : undefined),
      embedder: precomputed ? "precomputed" : (options.embedder ?? DEFAULTS.embedder),
      template: options.template,
      taskField: options.taskField,
      skipInvalid: options.skipInvalid ?? false,
    },
    inputs: {
      train: summarize(train),
      test: summarize(test),
      trainEmbeddings: npy?.train,
      testEmbeddings: npy?.test,
    },
    embedder: embedderInfo,
    engine: gemm.name,
    outputs: { out: options.out, metadata: options.metadata },
    counts: {
      train: {
        read: train.count,
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
    warnings: result.warnings,
    skipped: train.skipped.length + test.skipped.length > 0 ? [...train.skipped, ...test.skipped] : undefined,
    timings,
  };

  if (options.out !== undefined) {
    t0 = performance.now();
    const manifestPath =
      options.manifest === false ? undefined : (options.manifest ?? defaultManifestPath(options.out));
    // Stage every output beside its destination, then rename them all: a failure leaves nothing behind.
    const staged = new Staging();
    try {
      const outTmp = staged.path(options.out);
      const written = await writeArranged(train, result.order, outTmp);
      manifest.outputs.format = written.format;
      if (options.metadata !== undefined) {
        await writeLines(staged.path(options.metadata), metadataLines(metadata));
      }
      tick("write", t0);
      timings.total = round6((performance.now() - started) / 1000);
      if (manifestPath !== undefined) {
        await writeLines(staged.path(manifestPath), [`${JSON.stringify(manifest, null, 2)}\n`]);
      }
      await staged.commit();
    } catch (e) {
      await staged.abort();
      throw e;
    }
  } else {
    timings.total = round6((performance.now() - started) / 1000);
  }
  return { order, metadata, manifest, result };
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

function* metadataLines(rows: MetadataRow[]): Generator<string> {
  for (const r of rows) yield `${JSON.stringify(r)}\n`;
}
