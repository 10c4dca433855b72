import { noProgress } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import { readDataset } from "../data/read.js";
import type { Dataset } from "../data/types.js";
import { embedSets } from "../pipeline/embed-sets.js";
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
  const embedded = await embedSets(train, test, {
    ...options,
    batchSize: options.embedBatchSize,
    onProgress: progress,
  });
  return { train, test, trainM: embedded.train, testM: embedded.test, embedder: embedded.embedder };
}
