import { mkdir } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import { writeNpy } from "../data/npy.js";
import { checkOutputPaths } from "../data/outputs.js";
import { readDataset } from "../data/read.js";
import { type DataSource, guardedInputs, resolveSingle } from "../data/sources.js";
import type { CacheReport } from "../embed/cache.js";
import { embedAll } from "../embed/index.js";
import { VERSION } from "../version.js";
import {
  type EmbeddingsSidecar,
  inputSha256,
  sidecarPath,
  skippedOrdinals,
  textsSha256,
} from "./embeddings-sidecar.js";
import { Staging, writeLines } from "./staging.js";
import { type BackendChoice, describeCache, startEmbedder } from "./start-embedder.js";

/** Everything `embed` needs; the CLI maps its flags one to one onto these fields. */
export interface EmbedFileOptions extends BackendChoice {
  /** A data file or a directory of one file per task (the formats `arrange` reads). */
  /** Data set: a file, a directory, a quoted glob, or several in order. */
  input?: DataSource;
  /** Instead of input: a directory of task files split by `holdout`; `part` picks the training (default) or test side. */
  data?: string;
  holdout?: string[];
  part?: "train" | "test";
  /** The .npy file to write; its sidecar goes to `<out>.json`. */
  out: string;
  template?: string;
  skipInvalid?: boolean;
  onProgress?: ProgressSink;
}

export interface EmbedFileRun {
  /** rows = input rows (kept and skipped; skipped rows are zero), cols = dims. */
  matrix: Matrix;
  sidecar: EmbeddingsSidecar;
  cache: CacheReport;
}

/**
 * Embed every row of a dataset and write `out` (float32 .npy, row i = input row i, zero rows for rows
 * skipped as invalid) and `out.json` (the sidecar), both atomically. Backends fitted on the corpus (ngram)
 * are fitted on this input alone.
 */
export async function embedFile(options: EmbedFileOptions): Promise<EmbedFileRun> {
  const source = await resolveSingle(options);
  if (!options.out || extname(options.out).toLowerCase() !== ".npy")
    throw usageError(
      `--out must name a .npy file, got "${options.out ?? ""}"`,
      "--out",
      "pass e.g. --out train.npy (the sidecar is written as train.npy.json)",
    );
  await checkOutputPaths(
    [...guardedInputs("--input", source), ...source.files.map((f) => ({ flag: "--input", path: f.path }))],
    [
      { flag: "--out", path: options.out, kind: "file" },
      { flag: "--out (its sidecar)", path: sidecarPath(options.out), kind: "file" },
    ],
  );
  const progress = options.onProgress ?? noProgress;
  const ds = await readDataset(source, {
    template: options.template,
    skipInvalid: options.skipInvalid,
    texts: true,
    onProgress: progress,
    label: "input",
  });
  const texts = ds.texts!;
  const started = await startEmbedder({ ...options, onProgress: progress });
  const embedder = started.embedder;
  let kept: Matrix;
  let truncated: number;
  let cache: CacheReport;
  try {
    if (embedder.fit) await embedder.fit(texts);
    const r = await embedAll(embedder, texts, {
      batchSize: options.batchSize,
      onProgress: progress,
      label: "input",
    });
    kept = r.matrix;
    truncated = r.truncated;
    cache = embedder.report();
  } finally {
    await started.close();
  }
  progress({ stage: "embed", done: 1, unit: "sets", message: describeCache(cache) });

  const dims = embedder.dims;
  const rows = ds.count + ds.skippedCount;
  let matrix: Matrix = kept;
  if (ds.skippedCount > 0) {
    const data = new Float32Array(rows * dims);
    for (let i = 0; i < ds.count; i++)
      data.set(kept.data.subarray(i * dims, (i + 1) * dims), ds.refs.ordinal[i]! * dims);
    matrix = { data, rows, cols: dims };
  }
  const sidecar: EmbeddingsSidecar = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "embeddings",
    rows,
    dims,
    dtype: "float32",
    embedder: { id: embedder.id, version: embedder.version, dims, normalized: embedder.normalized },
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
      sha256: inputSha256(ds),
      textsSha256: textsSha256(texts),
      template: options.template,
      skipInvalid: options.skipInvalid ?? false,
    },
    skipped: { count: ds.skippedCount, rows: skippedOrdinals(ds) },
    truncated,
  };

  await mkdir(dirname(options.out), { recursive: true });
  const staged = new Staging();
  try {
    await writeNpy(staged.path(options.out), matrix);
    await writeLines(staged.path(sidecarPath(options.out)), [`${JSON.stringify(sidecar, null, 2)}\n`]);
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return { matrix, sidecar, cache };
}
