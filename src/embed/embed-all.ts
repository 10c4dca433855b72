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
  /** Seconds since some fixed point (default: performance.now() / 1000); tests pass their own clock. */
  clock?: () => number;
}

/** The estimate `embedAll` gives after the first batch of a run that looks longer than a minute. */
export interface EmbedEstimate {
  texts: number;
  /** Tokens the model will read, from the first batch's tokens per character (capped at the token limit). */
  tokens: number;
  /** Estimated seconds for the whole run at the first batch's speed. */
  seconds: number;
  /** Batches in flight at once (threads of a pool, requests of a service). */
  concurrency: number;
  /** Tokens per second of the first batch, times the concurrency. */
  tokensPerSecond: number;
}

/** Runs shorter than this get no estimate line. */
export const ESTIMATE_MIN_SECONDS = 60;
/** Runs longer than this also get the faster choices. */
export const ESTIMATE_SUGGEST_SECONDS = 600;

export interface EmbedAllResult {
  matrix: Matrix;
  /** Texts the backend truncated to its input limit. */
  truncated: number;
  /** The time estimate made after the first batch, when the backend reported its tokens. */
  estimate?: EmbedEstimate;
}

function minutes(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * The estimate from the first computed batch: its tokens per second (times the batches in flight) over the
 * tokens of all texts, those of the unread ones taken from the batch's tokens per character (capped at the
 * backend's token limit). Texts the cache already holds count as work too, so with a warm cache it is high.
 */
export function estimateRun(
  texts: readonly string[],
  first: { tokens: number; tokenChars: number; seconds: number },
  maxTokens: number | undefined,
  concurrency: number,
): EmbedEstimate {
  const perChar = first.tokenChars > 0 ? first.tokens / first.tokenChars : 0.25;
  const cap = maxTokens ?? Number.POSITIVE_INFINITY;
  let tokens = 0;
  for (const t of texts) tokens += Math.min(cap, Math.max(1, Math.ceil(t.length * perChar)));
  const tokensPerSecond = (first.tokens / Math.max(first.seconds, 1e-6)) * concurrency;
  return { texts: texts.length, tokens, seconds: tokens / tokensPerSecond, concurrency, tokensPerSecond };
}

/** The line(s) a user reads about an estimate; the second names the faster choices. */
export function describeEstimate(e: EmbedEstimate, embedderId: string): string {
  const head =
    `embedding ${e.texts} texts, about ${e.tokens} tokens, with ${embedderId}: about ${minutes(e.seconds)} ` +
    `(first batch: ${Math.round(e.tokensPerSecond)} tokens/s on ${e.concurrency} ${e.concurrency === 1 ? "thread" : "threads"})`;
  if (e.seconds <= ESTIMATE_SUGGEST_SECONDS) return head;
  return (
    `${head}\nfaster: --embedder ngram (lexical, seconds), --embedder http --endpoint URL (an embedding service on a GPU), ` +
    `precomputed .npy (instruct-arrange embed once, then --train-embeddings/--test-embeddings), or --embed-threads N on more cores`
  );
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
  const clock = options.clock ?? (() => performance.now() / 1000);
  const inFlight = Math.max(1, Math.min(embedder.concurrency ?? 1, Math.ceil(texts.length / batchSize)));
  // Load the model first (in every thread that will run), so the first batch's time is all embedding.
  if (texts.length > 0) await embedder.warmUp?.(inFlight);
  let estimate: EmbedEstimate | undefined;
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
    const began = clock();
    const result = await embedder.embed(batch);
    const seconds = clock() - began;
    if (estimate === undefined && result.tokens !== undefined && result.tokens > 0) {
      estimate = estimateRun(
        texts,
        { tokens: result.tokens, tokenChars: result.tokenChars ?? 0, seconds },
        embedder.maxTokens,
        inFlight,
      );
      if (estimate.seconds > ESTIMATE_MIN_SECONDS)
        progress?.({
          // No total: a progress bar is not drawn for it; the line is printed above the embedding bar.
          stage: "embed:estimate",
          done: done + batch.length,
          unit: "texts",
          message: describeEstimate(estimate, embedder.id),
          estimate: { ...estimate, set: options.label ?? "texts", embedder: embedder.id },
        });
    }
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
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { matrix: { data, rows: texts.length, cols: dims }, truncated, estimate };
}
