import type { ProgressSink } from "../core/progress.js";

export interface EmbedResult {
  /** Row-major, texts.length × dims. */
  vectors: Float32Array;
  /** How many of the texts were truncated to the backend's input limit. */
  truncated: number;
}

/**
 * A sentence-embedding backend. `backends/<name>.ts` files are the only ones importing a runtime.
 * New backends (MiniLM through transformers.js, an HTTP service) implement this same interface.
 */
export interface Embedder {
  /** Stable backend id, e.g. "use-lite", "ngram". */
  readonly id: string;
  /** Version string: the model/package version plus options that change the vectors. */
  readonly version: string;
  readonly dims: number;
  /** True when vectors are L2-normalized. */
  readonly normalized: boolean;
  /**
   * Optional corpus pass before embedding (e.g. document frequencies for TF-IDF). The pipeline calls it once
   * with the texts of the training and the test set together, in that order, before any `embed` call.
   */
  fit?(texts: Iterable<string>): Promise<void>;
  /** Embed a batch of texts; order is kept. */
  embed(texts: string[]): Promise<EmbedResult>;
  dispose?(): Promise<void>;
}

export interface EmbedderOptions {
  /** ngram: number of hashed feature dimensions (default 1024). */
  ngramDims?: number;
  /** use-lite: truncate texts to this many SentencePiece tokens (default 256). */
  maxTokens?: number;
  /** Batch size for backends that batch (default 64). */
  batchSize?: number;
  onProgress?: ProgressSink;
}
