import { type RoundMetadata, readRoundMetadata, withoutMetadataRows } from "../analyze/metadata.js";
import type { Analysis, AnalyzeOptions } from "../analyze/types.js";
import { noProgress } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import {
  checkOverlapMode,
  exactOverlapError,
  findExactOverlap,
  matrixWithoutRows,
  overlapPairs,
  withoutRows,
} from "../data/overlap.js";
import { readDataset } from "../data/read.js";
import { type ResolvedSources, resolveTrainTest } from "../data/sources.js";
import type { Dataset } from "../data/types.js";
import { embedSets } from "./embed-sets.js";

export interface LoadedInputs {
  train: Dataset;
  test: Dataset;
  trainM: Matrix;
  testM: Matrix;
  embedder: Analysis["embedder"];
  meta: RoundMetadata | undefined;
  overlap: NonNullable<Analysis["inputs"]["overlap"]>;
  warnings: string[];
}

/**
 * Read both sets (texts always kept: the bigram KL needs them), check the metadata against the training
 * file and the training rows against the test rows, then embed them (or load .npy embeddings).
 */
export async function loadInputs(
  options: AnalyzeOptions,
  sources?: { train: ResolvedSources; test: ResolvedSources },
): Promise<LoadedInputs> {
  const progress = options.onProgress ?? noProgress;
  const mode = checkOverlapMode(options.overlap);
  const readOpts = {
    template: options.template,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    texts: true,
    onProgress: progress,
  };
  const src = sources ?? (await resolveTrainTest(options));
  let train = await readDataset(src.train, { ...readOpts, label: "train", flag: "--train" });
  const test = await readDataset(src.test, {
    ...readOpts,
    label: "test",
    taskField: undefined,
    flag: "--test",
  });
  // Checked before any embedding: metadata of another file or arrangement would put rounds on the wrong rows.
  let meta = options.metadata === undefined ? undefined : await readRoundMetadata(options.metadata, train);
  const warnings: string[] = [];
  const exact = await findExactOverlap(train, test);
  const overlap = {
    mode,
    count: exact.trainRows.length,
    dropped: 0,
    pairs: overlapPairs(train, test, exact, 10_000),
  };
  if (exact.trainRows.length > 0) {
    if (mode === "error") throw exactOverlapError(train, test, exact);
    const n = exact.trainRows.length;
    const w =
      mode === "drop"
        ? `left out ${n} training row${n === 1 ? "" : "s"} equal to a test row (--overlap drop)`
        : `${n} training row${n === 1 ? "" : "s"} equal${n === 1 ? "s" : ""} a test row and ${n === 1 ? "is" : "are"} kept (--overlap keep)`;
    warnings.push(w);
    progress({ stage: "overlap", done: n, unit: "rows", message: `warning: ${w}` });
  }
  const embedded = await embedSets(train, test, {
    ...options,
    batchSize: options.embedBatchSize,
    onProgress: progress,
  });
  let trainM = embedded.train;
  if (mode === "drop" && exact.trainRows.length > 0) {
    overlap.dropped = exact.trainRows.length;
    trainM = matrixWithoutRows(trainM, exact.trainRows);
    if (meta !== undefined) meta = withoutMetadataRows(meta, exact.trainRows);
    train = withoutRows(train, exact.trainRows);
  }
  return { train, test, trainM, testM: embedded.test, embedder: embedded.embedder, meta, overlap, warnings };
}
