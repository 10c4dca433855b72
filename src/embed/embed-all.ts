import { ArrangeError, usageError } from "../core/errors.js";
import type { ProgressSink } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import type { Embedder } from "./types.js";

export interface EmbedAllOptions {
  /** Texts per `embed` call (default: the embedder's preferredBatchSize, else 64). */
  batchSize?: number;
  onProgress?: ProgressSink;
  /** Progress stage is `embed:<label>` (default "texts"). */
  label?: string;
  /**
   * Embed the texts longest first (default true), so each batch holds texts of similar length: backends
   * that pad a batch to its longest text (use-lite) waste less work. Rows still come back in input order.
   */
  sortByLength?: boolean;
}

export interface EmbedAllResult {
  matrix: Matrix;
  /** Texts the backend truncated to its input limit. */
  truncated: number;
}

export const DEFAULT_BATCH_SIZE = 64;

/** Indices of `texts`, longest first; ties keep input order. */
function lengthOrder(texts: readonly string[]): Int32Array {
  const order = Int32Array.from(texts, (_, i) => i);
  return order.sort((a, b) => texts[b]!.length - texts[a]!.length || a - b);
}

/** Embed every text in batches into one row-major matrix (row i = texts[i]), emitting progress after each batch. */
export async function embedAll(
  embedder: Embedder,
  texts: readonly string[],
  options: EmbedAllOptions = {},
): Promise<EmbedAllResult> {
  const batchSize = options.batchSize ?? embedder.preferredBatchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw usageError(
      `batch size must be a positive integer, got ${batchSize}`,
      "--batch-size",
      "pass e.g. --batch-size 64",
    );
  const dims = embedder.dims;
  const stage = `embed:${options.label ?? "texts"}`;
  const progress = options.onProgress;
  const data = new Float32Array(texts.length * dims);
  let truncated = 0;
  progress?.({ stage, done: 0, total: texts.length, unit: "texts" });
  const order = options.sortByLength === false ? undefined : lengthOrder(texts);
  let done = 0;
  const runBatch = async (start: number): Promise<void> => {
    const end = Math.min(texts.length, start + batchSize);
    const batch: string[] = [];
    for (let k = start; k < end; k++) batch.push(texts[order === undefined ? k : order[k]!]!);
    const result = await embedder.embed(batch);
    if (result.vectors.length !== batch.length * dims)
      throw new ArrangeError(
        "internal",
        `embedder ${embedder.id} returned ${result.vectors.length} values for ${batch.length} texts of ${dims} dimensions`,
      );
    if (order === undefined) data.set(result.vectors, start * dims);
    else
      for (let k = 0; k < batch.length; k++)
        data.set(result.vectors.subarray(k * dims, (k + 1) * dims), order[start + k]! * dims);
    truncated += result.truncated;
    done += batch.length;
    progress?.({ stage, done, total: texts.length, unit: "texts" });
  };
  // Backends that serve several calls at once (http) get that many batches in flight; others one at a time.
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < texts.length && !failed) {
      const start = next;
      next += batchSize;
      try {
        await runBatch(start);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = Math.max(1, Math.min(embedder.concurrency ?? 1, Math.ceil(texts.length / batchSize)));
  await Promise.all(Array.from({ length: workers }, worker));
  return { matrix: { data, rows: texts.length, cols: dims }, truncated };
}
