import type { CacheReport } from "./cache.js";

/*
 * Types that describe an embedding run and its files, shared by the pipeline (which runs it) and the domain
 * modules that read its results (analyze, report). They live here, below src/pipeline, so that nothing
 * imports up into the pipeline for a type.
 */

/** Options of the http backend and of the embedding cache, shared by arrange, analyze and embed. */
export interface EmbeddingServiceOptions {
  /** http: base URL or full `/v1/embeddings` URL of an OpenAI-compatible service. */
  endpoint?: string;
  /** http: model name sent with every request. */
  model?: string;
  /** http: environment variable holding the API key (default INSTRUCT_ARRANGE_API_KEY). */
  apiKeyEnv?: string;
  /** http: requests in flight at once (default 4). */
  concurrency?: number;
  /** http: seconds per request before it is retried (default 60). */
  timeout?: number;
  /** http: retries per request (default 5). */
  retries?: number;
  /** http: vector size to ask the service for. */
  dimensions?: number;
  /** Use the persistent embedding cache (default true). */
  cache?: boolean;
  /** Cache directory (default $INSTRUCT_ARRANGE_CACHE_DIR, $XDG_CACHE_HOME/instruct-arrange or ~/.cache/instruct-arrange). */
  cacheDir?: string;
}

/** One .npy file of an embeddings input. */
export interface EmbeddingFileSummary {
  path: string;
  rows: number;
  sha256: string;
  dtype: string;
  /** Input rows [start, end) it holds, from its shard sidecar. */
  shard?: { index: number; count: number; start: number; end: number };
}

export interface NpySummary {
  path: string;
  rows: number;
  cols: number;
  sha256: string;
  /** The backend that made the file, from its `instruct-arrange embed` sidecar (`<file>.json`). */
  embedder?: { id: string; version: string; normalized?: boolean };
  /** A set of shards (or a file not in float32): each file, in row order. */
  files?: EmbeddingFileSummary[];
}

export type EmbedderInfo =
  | { id: string; version: string; dims: number; normalized?: boolean; cache?: CacheReport }
  | { id: "precomputed"; dims: number }
  /** arrange with a strategy that needs no vectors (random, round-robin, cluster): nothing was embedded. */
  | { id: "none"; dims: 0; reason: string };
