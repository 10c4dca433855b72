import { usageError } from "../core/errors.js";
import type { ProgressSink } from "../core/progress.js";
import { type CachedEmbedder, type CacheReport, openEmbeddingCache, uncached } from "../embed/cache.js";
import { createEmbedder } from "../embed/index.js";
import type { EmbeddingServiceOptions } from "../embed/service-types.js";
import type { EmbedderChoice } from "../embed/types.js";

export type { EmbeddingServiceOptions };

/** The embedder and its knobs (one declaration: EmbedderChoice), the http service and the cache. */
export interface BackendChoice extends EmbeddingServiceOptions, EmbedderChoice {
  onProgress?: ProgressSink;
}

export interface StartedEmbedder {
  embedder: CachedEmbedder;
  /** Dispose the backend and close the cache. */
  close(): Promise<void>;
}

const HTTP_FLAGS: [keyof EmbeddingServiceOptions, string][] = [
  ["endpoint", "--endpoint"],
  ["model", "--model"],
  ["apiKeyEnv", "--api-key-env"],
  ["concurrency", "--concurrency"],
  ["timeout", "--timeout"],
  ["retries", "--retries"],
  ["dimensions", "--dimensions"],
];

/** The embedder the options choose, behind the persistent cache unless `cache` is false. */
export async function startEmbedder(o: BackendChoice): Promise<StartedEmbedder> {
  const name = o.embedder ?? "use-lite";
  if (name !== "http")
    for (const [key, flag] of HTTP_FLAGS)
      if (o[key] !== undefined)
        throw usageError(
          `${flag} applies to --embedder http, not ${name}`,
          flag,
          `drop ${flag} or pass --embedder http`,
        );
  const onnx = name === "minilm" || name.startsWith("hf:");
  if (o.threads !== undefined && name !== "use-lite" && !onnx)
    throw usageError(
      `--embed-threads applies to --embedder use-lite, minilm or hf:<id>, not ${name}`,
      "--embed-threads",
      name === "http"
        ? "drop --embed-threads (use --concurrency for requests in flight)"
        : "drop --embed-threads",
    );
  if (o.device !== undefined && !onnx)
    throw usageError(
      `--device applies to --embedder minilm or hf:<id>, not ${name}`,
      "--device",
      "drop --device, or pass --embedder minilm --device cuda",
    );
  const backend = await createEmbedder(name, {
    threads: o.threads,
    device: o.device,
    ngramDims: o.ngramDims,
    maxTokens: o.maxTokens,
    batchSize: o.batchSize,
    modelDir: o.modelDir,
    tokenBudget: o.tokenBudget,
    quantized: o.quantized,
    onProgress: o.onProgress,
    http: {
      endpoint: o.endpoint,
      model: o.model,
      apiKeyEnv: o.apiKeyEnv,
      concurrency: o.concurrency,
      timeout: o.timeout,
      retries: o.retries,
      dimensions: o.dimensions,
    },
  });
  if (o.cache === false) return { embedder: uncached(backend), close: async () => backend.dispose?.() };
  let cache: Awaited<ReturnType<typeof openEmbeddingCache>>;
  try {
    const progress = o.onProgress;
    cache = await openEmbeddingCache(o.cacheDir, {
      onWarning: (message) =>
        progress?.({ stage: "embed", done: 0, unit: "rows", message: `warning: ${message}` }),
    });
  } catch (e) {
    await backend.dispose?.();
    throw e;
  }
  return {
    embedder: cache.wrap(backend),
    close: async () => {
      try {
        await backend.dispose?.();
      } finally {
        await cache.close();
      }
    },
  };
}

/** One line about the cache for the user. */
export function describeCache(r: CacheReport): string {
  if (r.state === "off") return "embedding cache: off (--no-cache)";
  if (r.state === "bypassed")
    return "embedding cache: not used (this backend is fitted on the corpus, so its vectors depend on every text)";
  const damaged =
    r.damaged === undefined
      ? ""
      : `; warning: ${r.damaged} damaged entries (bad checksum) were computed again`;
  return `embedding cache: ${r.hits} hits, ${r.misses} computed (${r.dir})${damaged}`;
}
