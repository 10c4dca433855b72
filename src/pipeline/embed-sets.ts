import { ArrangeError } from "../core/errors.js";
import { knownFinite, markFinite } from "../core/finite.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import { checkFinite } from "../data/npy.js";
import type { Dataset } from "../data/types.js";
import { embedAll } from "../embed/index.js";
import type { EmbedderInfo, NpySummary } from "../embed/service-types.js";
import type { EmbedderChoice } from "../embed/types.js";
import { selectRows } from "../linalg/half.js";
import { type LoadedEmbeddings, loadEmbeddings } from "./embedding-files.js";
import { describeCache, type EmbeddingServiceOptions, startEmbedder } from "./start-embedder.js";

export type { EmbedderInfo, NpySummary };

export interface EmbedSetsOptions extends EmbeddingServiceOptions, EmbedderChoice {
  /** Precomputed embeddings (.npy float32/float64/float16, row i = input row i; or a quoted pattern naming shards). Both or neither. */
  trainEmbeddings?: string;
  testEmbeddings?: string;
  onProgress?: ProgressSink;
}

export interface EmbeddedSets {
  train: Matrix;
  test: Matrix;
  embedder: EmbedderInfo;
  /** Texts cut to the backend's input limit. */
  truncated: { train: number; test: number };
  /** The .npy files, when embeddings were precomputed. */
  npy?: { train: NpySummary; test: NpySummary };
}

/**
 * A precomputed matrix the algorithms can use, each problem blamed on its own file: at least one column,
 * and only finite values (the error names the file and the 1-based row).
 */
function checkNpyValues(m: Matrix, file: string, option: string): void {
  if (m.cols < 1)
    throw new ArrangeError(
      "embeddings",
      `the embeddings have ${m.cols} columns (shape (${m.rows}, ${m.cols}))`,
      {
        file,
        option,
        fix: "save one vector per row with at least one dimension: numpy.save(path, arr) with arr of shape (rows, dims)",
      },
    );
  if (m.half !== undefined) return; // float16: the reader refused non-finite values
  // loadEmbeddings marks what readNpyInto checked; anything else gets the reader's own check.
  if (!knownFinite(m.data)) checkFinite(m.data, m.rows, m.cols, file);
}

/**
 * Embeddings for a training and a test set read by readDataset: loaded from .npy files (rows of skipped
 * input rows dropped) or computed by the chosen backend, fitted on train + test texts where it fits.
 */
export async function embedSets(
  train: Dataset,
  test: Dataset,
  options: EmbedSetsOptions,
): Promise<EmbeddedSets> {
  const progress = options.onProgress ?? noProgress;
  if (options.trainEmbeddings !== undefined && options.testEmbeddings !== undefined) {
    const [a, b] = [options.trainEmbeddings, options.testEmbeddings];
    const la = await loadEmbeddings(a, train, "--train-embeddings");
    const lb = await loadEmbeddings(b, test, "--test-embeddings");
    const [ra, rb] = [la.matrix, lb.matrix];
    checkNpyValues(ra, a, "--train-embeddings");
    checkNpyValues(rb, b, "--test-embeddings");
    const [sa, sb] = [la.embedder, lb.embedder];
    if (ra.cols !== rb.cols) {
      throw new ArrangeError(
        "embeddings",
        `train embeddings have ${ra.cols} columns but test embeddings ${rb.cols}`,
        {
          file: b,
          option: "--test-embeddings",
          fix: "embed both sets with the same model",
        },
      );
    }
    if (sa !== undefined && sb !== undefined && (sa.id !== sb.id || sa.version !== sb.version))
      throw new ArrangeError(
        "embeddings",
        `${a} was embedded by ${sa.id} (${sa.version}) but ${b} by ${sb.id} (${sb.version}): their vectors are not comparable`,
        {
          file: b,
          option: "--test-embeddings",
          fix: "embed both sets with the same --embedder and options (ngram fits its weights on each input, so its files never match: let arrange embed with --embedder ngram instead)",
        },
      );
    return {
      train: alignEmbeddings(ra, train, a, "--train-embeddings"),
      test: alignEmbeddings(rb, test, b, "--test-embeddings"),
      embedder: { id: "precomputed", dims: ra.cols },
      truncated: { train: 0, test: 0 },
      npy: { train: npySummary(a, la), test: npySummary(b, lb) },
    };
  }
  const started = await startEmbedder({ ...options, onProgress: progress });
  const embedder = started.embedder;
  try {
    const trainTexts = train.texts!;
    const testTexts = test.texts!;
    if (embedder.fit) await embedder.fit(concatIterable(trainTexts, testTexts));
    const opts = { batchSize: options.batchSize, onProgress: progress };
    const e1 = await embedAll(embedder, trainTexts, { ...opts, label: "train" });
    const e2 = await embedAll(embedder, testTexts, { ...opts, label: "test" });
    const cache = embedder.report();
    progress({ stage: "embed", done: 1, unit: "sets", message: describeCache(cache) });
    return {
      train: e1.matrix,
      test: e2.matrix,
      embedder: {
        id: embedder.id,
        version: embedder.version,
        dims: embedder.dims,
        normalized: embedder.normalized,
        cache,
      },
      truncated: { train: e1.truncated, test: e2.truncated },
    };
  } finally {
    await started.close();
  }
}

/** Rows of precomputed embeddings that belong to kept rows (input row i = .npy row i). */
function alignEmbeddings(m: Matrix, ds: Dataset, file: string, option: string): Matrix {
  const inputRows = ds.count + ds.skippedCount;
  if (m.rows !== inputRows) {
    throw new ArrangeError(
      "embeddings",
      `${m.rows} embedding rows but ${inputRows} input rows in ${ds.path}`,
      {
        file,
        option,
        fix: `write one float32 row per input row (row i = input row i, ${inputRows} rows, files in sorted name order)`,
      },
    );
  }
  if (ds.skippedCount === 0) return m;
  return selectRows(m, ds.refs.ordinal.subarray(0, ds.count), markFinite);
}

function npySummary(path: string, l: LoadedEmbeddings): NpySummary {
  return {
    path,
    rows: l.matrix.rows,
    cols: l.matrix.cols,
    sha256: l.sha256,
    ...(l.embedder === undefined ? {} : { embedder: l.embedder }),
    ...(l.files.length > 1 || l.files[0]?.shard !== undefined || l.files[0]?.dtype !== "<f4"
      ? { files: l.files }
      : {}),
  };
}

function* concatIterable(a: Iterable<string>, b: Iterable<string>): Generator<string> {
  yield* a;
  yield* b;
}

export interface EmbeddedSet {
  matrix: Matrix;
  embedder: EmbedderInfo;
  truncated: number;
  npy?: NpySummary;
}

/**
 * Embeddings of one dataset read by readDataset (for commands that look at a single set, like `diversity`):
 * loaded from a .npy file (rows of skipped input rows dropped) or computed by the chosen backend, fitted on
 * the set's own texts. `embeddings` takes the place of `trainEmbeddings`/`testEmbeddings`.
 */
export async function embedSet(
  ds: Dataset,
  options: Omit<EmbedSetsOptions, "trainEmbeddings" | "testEmbeddings"> & {
    embeddings?: string;
    /** The option name given in errors about the .npy file. */
    embeddingsOption?: string;
  },
): Promise<EmbeddedSet> {
  const progress = options.onProgress ?? noProgress;
  if (options.embeddings !== undefined) {
    const file = options.embeddings;
    const option = options.embeddingsOption ?? "--embeddings";
    const loaded = await loadEmbeddings(file, ds, option);
    return {
      matrix: alignEmbeddings(loaded.matrix, ds, file, option),
      embedder: { id: "precomputed", dims: loaded.matrix.cols },
      truncated: 0,
      npy: npySummary(file, loaded),
    };
  }
  const started = await startEmbedder({ ...options, onProgress: progress });
  const embedder = started.embedder;
  try {
    const texts = ds.texts!;
    if (embedder.fit) await embedder.fit(texts);
    const e = await embedAll(embedder, texts, {
      batchSize: options.batchSize,
      onProgress: progress,
      label: "input",
    });
    const cache = embedder.report();
    progress({ stage: "embed", done: 1, unit: "sets", message: describeCache(cache) });
    return {
      matrix: e.matrix,
      embedder: {
        id: embedder.id,
        version: embedder.version,
        dims: embedder.dims,
        normalized: embedder.normalized,
        cache,
      },
      truncated: e.truncated,
    };
  } finally {
    await started.close();
  }
}
