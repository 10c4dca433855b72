import type { ProgressSink } from "../core/progress.js";

export interface EmbedResult {
  /** Row-major, texts.length × dims. */
  vectors: Float32Array;
  /** How many of the texts were truncated to the backend's input limit. */
  truncated: number;
  /** Optional: 1 for each text that was truncated (caches record it per text). */
  truncatedMask?: Uint8Array;
  /** Optional: tokens the model read for this batch (after truncation), for the time estimate. */
  tokens?: number;
  /** Optional: characters of input those tokens cover (a truncated text counts up to its cut). */
  tokenChars?: number;
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
   * Texts per `embed` call the backend works best with, used by embedAll when no batch size is given.
   * Backends that form their own batches inside `embed` (by token count) ask for many texts at once.
   */
  readonly preferredBatchSize?: number;
  /**
   * Optional corpus pass before embedding (e.g. document frequencies for TF-IDF). The pipeline calls it once
   * with the texts of the training and the test set together, in that order, before any `embed` call.
   */
  fit?(texts: Iterable<string>): Promise<void>;
  /** Embed a batch of texts; order is kept. */
  embed(texts: string[]): Promise<EmbedResult>;
  dispose?(): Promise<void>;
  /** How many `embed` calls the backend serves at once (default 1); `embedAll` keeps that many batches in flight. */
  readonly concurrency?: number;
  /** Tokens kept of each text, when the backend truncates (for the time estimate). */
  readonly maxTokens?: number;
  /**
   * Optional: load the model now (for a pool, in as many threads as `batches` batches can use), so the first
   * batch's time, which the estimate comes from, does not include loading.
   */
  warmUp?(batches?: number): Promise<void>;
}

/**
 * Which embedder, and the knobs of its backends: the one declaration that the CLI flags, the pipeline's
 * options (arrange, analyze, embed, diversity), the experiment runner and `createEmbedder` all read.
 * `embedder` is a name `checkEmbedderName` accepts (registry.ts): use-lite, ngram, http, minilm, hf:<model id>.
 */
export interface EmbedderChoice {
  /** Embedding backend name (default "use-lite"; the experiment runner's default is "ngram"). */
  embedder?: string;
  /** use-lite: worker threads, each with its own model; minilm / hf:<id>: onnxruntime CPU threads (default: os.availableParallelism()). */
  threads?: number;
  /** minilm / hf:<id>: "cpu" (default) or "cuda" (onnxruntime-node's CUDA execution provider). */
  device?: EmbedDevice;
  /** ngram: number of hashed feature dimensions (default 1024). */
  ngramDims?: number;
  /** use-lite, minilm, hf:<id>: truncate texts to this many tokens (default 256; hf: the model's own limit). */
  maxTokens?: number;
  /** Texts per embedding batch, for backends that batch (default 64). */
  batchSize?: number;
  /** minilm / hf:<id>: local model directory (config.json, tokenizer.json, onnx/model.onnx); no download. */
  modelDir?: string;
  /** minilm / hf:<id>: largest padded batch in tokens (texts × longest text), default 2048. */
  tokenBudget?: number;
  /** minilm / hf:<id>: load the 8-bit model (onnx/model_quantized.onnx). */
  quantized?: boolean;
}

/** What `createEmbedder` takes besides the name: the backend knobs, progress, and the http service. */
export interface EmbedderOptions extends Omit<EmbedderChoice, "embedder"> {
  onProgress?: ProgressSink;
  /** http: the service and how to call it (see backends/http.ts). */
  http?: HttpOptions;
}

export const EMBED_DEVICES = ["cpu", "cuda"] as const;
export type EmbedDevice = (typeof EMBED_DEVICES)[number];

/** Options of the `http` backend (the service URL, model, key variable, request limits). */
export interface HttpOptions {
  endpoint?: string;
  model?: string;
  apiKeyEnv?: string;
  concurrency?: number;
  /** Seconds per request. */
  timeout?: number;
  retries?: number;
  dimensions?: number;
}
