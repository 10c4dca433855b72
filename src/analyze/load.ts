import { ArrangeError } from "../core/errors.js";
import { noProgress } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import { readNpy } from "../data/npy.js";
import { readDataset } from "../data/read.js";
import type { Dataset } from "../data/types.js";
import { createEmbedder, embedAll } from "../embed/index.js";
import type { Analysis, AnalyzeOptions } from "./types.js";

export interface LoadedInputs {
  train: Dataset;
  test: Dataset;
  trainM: Matrix;
  testM: Matrix;
  embedder: Analysis["embedder"];
}

/** Read both sets (texts always kept: the bigram KL needs them) and embed them, or load .npy embeddings. */
export async function loadInputs(options: AnalyzeOptions): Promise<LoadedInputs> {
  const progress = options.onProgress ?? noProgress;
  const readOpts = {
    template: options.template,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    texts: true,
    onProgress: progress,
  };
  const train = await readDataset(options.train, { ...readOpts, label: "train" });
  const test = await readDataset(options.test, { ...readOpts, label: "test", taskField: undefined });
  if (options.trainEmbeddings !== undefined && options.testEmbeddings !== undefined) {
    const a = await readNpy(options.trainEmbeddings);
    const b = await readNpy(options.testEmbeddings);
    if (a.cols !== b.cols)
      throw new ArrangeError(
        "embeddings",
        `train embeddings have ${a.cols} columns but test embeddings ${b.cols}`,
        {
          file: options.testEmbeddings,
          option: "--test-embeddings",
          fix: "embed both sets with the same model",
        },
      );
    return {
      train,
      test,
      trainM: keptRows(a, train, options.trainEmbeddings, "--train-embeddings"),
      testM: keptRows(b, test, options.testEmbeddings, "--test-embeddings"),
      embedder: { id: "precomputed", dims: a.cols },
    };
  }
  const embedder = await createEmbedder(options.embedder ?? "use-lite", {
    ngramDims: options.ngramDims,
    maxTokens: options.maxTokens,
    batchSize: options.embedBatchSize,
    onProgress: progress,
  });
  try {
    const trainTexts = train.texts!;
    const testTexts = test.texts!;
    if (embedder.fit) await embedder.fit([...trainTexts, ...testTexts]);
    const opts = { batchSize: options.embedBatchSize, onProgress: progress };
    const e1 = await embedAll(embedder, trainTexts, { ...opts, label: "train" });
    const e2 = await embedAll(embedder, testTexts, { ...opts, label: "test" });
    return {
      train,
      test,
      trainM: e1.matrix,
      testM: e2.matrix,
      embedder: { id: embedder.id, version: embedder.version, dims: embedder.dims },
    };
  } finally {
    await embedder.dispose?.();
  }
}

/** The .npy rows of kept input rows (input row i = .npy row i). */
function keptRows(m: Matrix, ds: Dataset, file: string, option: string): Matrix {
  const inputRows = ds.count + ds.skippedCount;
  if (m.rows !== inputRows)
    throw new ArrangeError(
      "embeddings",
      `${m.rows} embedding rows but ${inputRows} input rows in ${ds.path}`,
      {
        file,
        option,
        fix: `write one float32 row per input row (row i = input row i, ${inputRows} rows, files in sorted name order)`,
      },
    );
  if (ds.skippedCount === 0) return m;
  const out = new Float32Array(ds.count * m.cols);
  for (let i = 0; i < ds.count; i++) {
    const src = ds.refs.ordinal[i]!;
    out.set(m.data.subarray(src * m.cols, (src + 1) * m.cols), i * m.cols);
  }
  return { data: out, rows: ds.count, cols: m.cols };
}
