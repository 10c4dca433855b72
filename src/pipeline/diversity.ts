import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { DiversityReport } from "../analyze/diversity-report.js";
import { sig6 } from "../analyze/round-json.js";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { checkOutputPaths } from "../data/outputs.js";
import { readDataset } from "../data/read.js";
import { type DataSource, guardedInputs, resolveSingle } from "../data/sources.js";
import { Staging, writeLines } from "../data/staging.js";
import { computeDiversity, type DiversityResult } from "../diversity/compute.js";
import { createGemm } from "../linalg/index.js";
import { VERSION } from "../version.js";
import { embedSet } from "./embed-sets.js";
import type { BackendChoice } from "./start-embedder.js";

export type { DiversityReport };

/** Everything `instruct-arrange diversity` needs; the CLI maps its flags one to one onto these fields. */
export interface DiversityRunOptions extends BackendChoice {
  /** Dataset: a file or a directory of one file per task. */
  /** Data set: a file, a directory, a quoted glob, or several in order. */
  input?: DataSource;
  /** Instead of input: a directory of task files split by `holdout`; `part` picks the training (default) or test side. */
  data?: string;
  holdout?: string[];
  part?: "train" | "test";
  /** Where to write the JSON report. Omit to only compute. */
  out?: string;
  /** k-means clusters (default round(√(n/2)), capped at 1000). */
  clusters?: number;
  seed?: number;
  /** Lloyd iterations at most (default 50). */
  maxIterations?: number;
  /** k-means stops once an iteration moves at most this share of rows (default 0.001; 0 = until none moves). */
  tolerance?: number;
  /** Precomputed embeddings (.npy, float32, row i = input row i). */
  embeddings?: string;
  template?: string;
  taskField?: string;
  skipInvalid?: boolean;
  engine?: "ort" | "ort-cuda" | "ts";
  onProgress?: ProgressSink;
}

/** Read a dataset, embed it (or load its .npy embeddings) and measure its diversity; writes JSON to `out`. */
export async function diversity(options: DiversityRunOptions): Promise<DiversityReport> {
  const source = await resolveSingle(options);
  const progress = options.onProgress ?? noProgress;
  const started = performance.now();
  await checkOutputPaths(
    [
      ...guardedInputs("--input", source),
      ...source.files.map((f) => ({ flag: "--input", path: f.path })),
      { flag: "--embeddings", path: options.embeddings },
    ],
    [{ flag: "--out", path: options.out, kind: "file" }],
  );
  if (options.out !== undefined) await mkdir(dirname(options.out), { recursive: true });
  const ds = await readDataset(source, {
    template: options.template,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    texts: options.embeddings === undefined,
    onProgress: progress,
    label: "input",
  });
  if (ds.count === 0)
    throw usageError(`the dataset ${ds.path} has no rows`, "--input", "pass a non-empty dataset");
  const tRead = performance.now();
  const embedded = await embedSet(ds, { ...options, onProgress: progress });
  const tEmbed = performance.now();
  const gemm = await createGemm({ engine: options.engine ?? "ort" });
  let result: DiversityResult;
  try {
    result = await computeDiversity(embedded.matrix, ds.tasks, {
      clusters: options.clusters,
      seed: options.seed ?? 0,
      maxIterations: options.maxIterations,
      tolerance: options.tolerance,
      gemm,
      onProgress: progress,
    });
  } finally {
    await gemm.dispose();
  }
  const warnings: string[] = [];
  if (gemm.fallbackReason) warnings.push(gemm.fallbackReason);
  const c = result.overall.clusters;
  if (c.changed > (options.tolerance ?? 0.001) * ds.count)
    warnings.push(
      `k-means stopped after ${c.iterations} iterations with ${c.changed} rows still changing cluster (raise --max-iterations)`,
    );
  const report: DiversityReport = {
    tool: "instruct-arrange",
    version: VERSION,
    command: "diversity",
    input: {
      path: ds.path,
      files: ds.files.map((f) => ({
        path: f.path,
        format: f.format,
        layout: f.layout,
        rows: f.rows,
        skipped: f.skipped,
        sha256: f.sha256,
      })),
      rows: ds.count,
      tasks: ds.tasks.names.length,
      taskSource: ds.taskSource,
      skipped: ds.skippedCount,
    },
    ...(embedded.npy ? { embeddings: embedded.npy } : {}),
    embedder: embedded.embedder,
    engine: gemm.name,
    options: {
      clusters: options.clusters ?? "default",
      seed: options.seed ?? 0,
      maxIterations: options.maxIterations ?? 50,
      tolerance: options.tolerance ?? 0.001,
    },
    ...(warnings.length > 0 ? { warnings } : {}),
    overall: result.overall,
    perTask: result.perTask,
    timings: {
      read: (tRead - started) / 1000,
      [embedded.npy ? "load-embeddings" : "embed"]: (tEmbed - tRead) / 1000,
      ...result.timings,
      total: (performance.now() - started) / 1000,
    },
  };
  if (options.out !== undefined) {
    const staged = new Staging();
    try {
      const json = JSON.stringify(report, (_k, v: unknown) => (typeof v === "number" ? sig6(v) : v), 2);
      await writeLines(staged.path(options.out), [`${json}\n`]);
      await staged.commit();
    } catch (e) {
      await staged.abort();
      throw e;
    }
  }
  return report;
}
