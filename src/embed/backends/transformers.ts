import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  AutoModel,
  AutoTokenizer,
  env,
  LogLevel,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from "@huggingface/transformers";
import { ArrangeError, usageError } from "../../core/errors.js";
import type { ProgressSink } from "../../core/progress.js";
import { type Environment, readSettings } from "../../core/settings.js";
import { withConsoleOnStderr } from "../console-guard.js";
import type { Embedder, EmbedResult } from "../types.js";

/**
 * Sentence embeddings from a Hugging Face feature-extraction model (BERT-like encoder exported to ONNX) through
 * transformers.js on onnxruntime-node (CPU, every core): `minilm` (sentence-transformers all-MiniLM-L6-v2 as
 * exported by Xenova) and `hf:<model-id>`.
 *
 * Each text is tokenized once with the model's tokenizer; its word pieces are cut to `maxTokens` minus the
 * special tokens the tokenizer adds (as Hugging Face truncation does for one sequence). Texts are sorted by token
 * count and cut into batches that fill a token budget (batch size × longest text ≤ tokenBudget), so little
 * compute goes to padding; vectors come back in input order. A vector is the mean of the last hidden states
 * over the text's tokens (the attention mask), L2-normalized, as sentence-transformers computes it.
 *
 * Where the model comes from: `modelDir` (or the INSTRUCT_ARRANGE_MODEL_DIR environment variable) is loaded with
 * remote loading off. Otherwise the Hugging Face hub cache (`huggingface-cli download`, HF_HUB_CACHE or
 * HF_HOME/hub) and this backend's download cache (HF_HOME/transformers.js) are tried, then the model is downloaded
 * from HF_ENDPOINT (default https://huggingface.co) unless HF_HUB_OFFLINE is set. When none works the error
 * says how to provide the model.
 */
export interface TransformersEmbedderOptions {
  /** Backend id recorded with the vectors, e.g. "minilm" or "hf:BAAI/bge-small-en-v1.5". */
  id: string;
  /** Hugging Face model id (used for the cache and the download). */
  model: string;
  /** A local model directory (config.json, tokenizer.json, onnx/model.onnx); disables remote loading. */
  modelDir?: string;
  /** Keep at most this many tokens of each text, special tokens included (default: the model's own limit). */
  maxTokens?: number;
  /** Largest padded batch in tokens (texts × longest text), default 2048. */
  tokenBudget?: number;
  /** Load onnx/model_quantized.onnx (8-bit) instead of onnx/model.onnx. */
  quantized?: boolean;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
  /** "cpu" (default) or "cuda": onnxruntime-node's CUDA execution provider (Linux x64, when it is installed). */
  device?: "cpu" | "cuda";
  onProgress?: ProgressSink;
  /** Environment to read the variables from (default process.env); tests pass their own. */
  environment?: Environment;
}

export const MODEL_DIR_ENV = "INSTRUCT_ARRANGE_MODEL_DIR";
export const DEFAULT_TOKEN_BUDGET = 2048;
/** Texts per `embed` call that embedAll should pass: enough for the length sort to form full batches. */
export const TRANSFORMERS_BATCH_TEXTS = 256;
/** How long a download may wait for a server's answer before giving up. */
const RESPONSE_TIMEOUT_MS = 20_000;

// transformers.js prints through console; keep its own messages to errors only, and give its fetches a timeout
// on the response headers so an unreachable hub fails in seconds, while a slow body download may take its time.
env.logLevel = LogLevel.ERROR;
const baseFetch = env.fetch;
env.fetch = async (input: string | URL, init?: RequestInit) => {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${RESPONSE_TIMEOUT_MS / 1000} s`)),
    RESPONSE_TIMEOUT_MS,
  );
  try {
    return await baseFetch(input, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
};

interface ModelFiles {
  onnx: string;
  /** Files that must be present in a model directory, relative to it. */
  required: string[];
}

function modelFiles(quantized: boolean): ModelFiles {
  const onnx = quantized ? "onnx/model_quantized.onnx" : "onnx/model.onnx";
  return { onnx, required: ["config.json", "tokenizer.json", "tokenizer_config.json", onnx] };
}

/** The message of an error and of its causes ("fetch failed: getaddrinfo ENOTFOUND huggingface.co"). */
function errorText(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 4; depth++) {
    const m = c instanceof Error ? c.message : String(c);
    if (m !== "" && !parts.includes(m)) parts.push(m);
    c = c instanceof Error ? c.cause : undefined;
  }
  return parts.join(": ");
}

/** HF_HOME, as the Hugging Face libraries read it. */
function hfHome(environment: Environment): string {
  const s = readSettings(environment);
  return s.hfHome ?? join(s.xdgCacheHome ?? join(homedir(), ".cache"), "huggingface");
}

/** Where `huggingface-cli download` puts models (HF_HUB_CACHE, else HF_HOME/hub). */
export function hubCacheDir(environment: Environment = process.env): string {
  return readSettings(environment).hfHubCache ?? join(hfHome(environment), "hub");
}

/** Where this backend's downloads are cached (transformers.js layout: <dir>/<model id>/<file>). */
export function downloadCacheDir(environment: Environment = process.env): string {
  return join(hfHome(environment), "transformers.js");
}

/** The snapshot directory of `model` in a hub cache (refs/main, else the only snapshot), if there is one. */
function hubSnapshot(cache: string, model: string): string | undefined {
  const repo = join(cache, `models--${model.replaceAll("/", "--")}`);
  const ref = join(repo, "refs", "main");
  if (!existsSync(ref)) return undefined;
  const dir = join(repo, "snapshots", readFileSync(ref, "utf8").trim());
  return existsSync(dir) ? dir : undefined;
}

function missingFiles(dir: string, files: ModelFiles): string[] {
  return files.required.filter((f) => !existsSync(join(dir, f)));
}

/** How to provide the model, for error messages. */
function provideFix(model: string, files: ModelFiles): string {
  return (
    `download the model on a machine with network access, e.g. \`huggingface-cli download ${model} ${files.required.join(" ")} --local-dir DIR\` ` +
    `(or \`git clone https://huggingface.co/${model} DIR\`), copy DIR here, and pass --model-dir DIR or set ${MODEL_DIR_ENV}=DIR`
  );
}

/** A hash of the model's files (config, tokenizer, ONNX weights), so changed files give a new version. */
async function hashFiles(dir: string, files: readonly string[]): Promise<string> {
  const h = createHash("sha256");
  for (const f of files) {
    h.update(`${f}\0`);
    await new Promise<void>((done, fail) => {
      createReadStream(join(dir, f))
        .on("data", (chunk) => h.update(chunk))
        .on("end", done)
        .on("error", fail);
    });
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

function readJson(dir: string, file: string): Record<string, unknown> | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

/** A positive integer field of a JSON object, if it is one and below `cap`. */
function intField(o: Record<string, unknown> | undefined, key: string, cap = 1e6): number | undefined {
  const v = o?.[key];
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 && v < cap ? v : undefined;
}

/** The model's own token limit: sentence-transformers' max_seq_length, else the tokenizer's, else positions. */
function modelTokenLimit(dir: string): { limit: number | undefined; positions: number | undefined } {
  const positions = intField(readJson(dir, "config.json"), "max_position_embeddings");
  const own =
    intField(readJson(dir, "sentence_bert_config.json"), "max_seq_length") ??
    intField(readJson(dir, "tokenizer_config.json"), "model_max_length");
  const limit = own === undefined ? positions : positions === undefined ? own : Math.min(own, positions);
  return { limit, positions };
}

/** Special tokens the tokenizer puts before and after one sequence (e.g. [CLS] … [SEP]). */
function specialTokens(tokenizer: PreTrainedTokenizer): { prefix: number[]; suffix: number[] } {
  const plain = tokenizer.encode("a", { add_special_tokens: false });
  const full = tokenizer.encode("a", { add_special_tokens: true });
  for (let k = 0; k + plain.length <= full.length; k++) {
    if (plain.every((id, j) => full[k + j] === id))
      return { prefix: full.slice(0, k), suffix: full.slice(k + plain.length) };
  }
  throw new Error("the tokenizer's special-token template does not keep a sequence's word pieces together");
}

/** Token ids of each text, truncated; the cut keeps the special tokens, like Hugging Face truncation. */
export interface Tokenized {
  ids: Int32Array[];
  truncated: number;
  /** 1 for each text that was cut. */
  truncatedMask: Uint8Array;
  /** Characters the kept word pieces cover (of a cut text, its length × the share of pieces kept). */
  coveredChars: number;
}

/**
 * A tokenizer that keeps at most `maxTokens` tokens of each text, special tokens included: the text's word
 * pieces are cut to the room the special tokens leave, then wrapped in them, as Hugging Face truncation does
 * for one sequence. The result counts the texts that were cut.
 */
export function truncatingEncoder(
  tokenizer: PreTrainedTokenizer,
  maxTokens: number,
): (texts: readonly string[]) => Tokenized {
  const special = specialTokens(tokenizer);
  const room = maxTokens - special.prefix.length - special.suffix.length;
  if (room < 1)
    throw usageError(
      `--max-tokens ${maxTokens} leaves no room for text after the ${maxTokens - room} special tokens`,
      "--max-tokens",
      `pass --max-tokens ${maxTokens - room + 1} or more`,
    );
  return (texts) => {
    let truncated = 0;
    let coveredChars = 0;
    const truncatedMask = new Uint8Array(texts.length);
    const ids = texts.map((text, t) => {
      const pieces = tokenizer.encode(text, { add_special_tokens: false });
      coveredChars += pieces.length > room ? (text.length * room) / pieces.length : text.length;
      if (pieces.length > room) {
        truncated++;
        truncatedMask[t] = 1;
      }
      const n = Math.min(pieces.length, room);
      const row = new Int32Array(special.prefix.length + n + special.suffix.length);
      row.set(special.prefix, 0);
      for (let i = 0; i < n; i++) row[special.prefix.length + i] = pieces[i]!;
      row.set(special.suffix, special.prefix.length + n);
      return row;
    });
    return { ids, truncated, truncatedMask, coveredChars };
  };
}

/**
 * Indices of texts grouped into batches: longest first, each batch as many texts as fit in `budget` padded
 * tokens (at least one). Ties keep input order.
 */
export function tokenBudgetBatches(lengths: ArrayLike<number>, budget: number): Int32Array[] {
  const order = Int32Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: Int32Array[] = [];
  let start = 0;
  while (start < order.length) {
    const longest = lengths[order[start]!]!;
    const fit = Math.max(1, Math.floor(budget / Math.max(1, longest)));
    const end = Math.min(order.length, start + fit);
    batches.push(order.subarray(start, end));
    start = end;
  }
  return batches;
}

/**
 * Mean of `hidden` ([rows, seq, dims]) over the first `lengths[r]` positions of each row, L2-normalized,
 * written to `out` at row `at[r]`. Accumulates in float64.
 */
export function meanPoolNormalize(
  hidden: Float32Array,
  rows: number,
  seq: number,
  dims: number,
  lengths: ArrayLike<number>,
  out: Float32Array,
  at: ArrayLike<number>,
): void {
  const acc = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    const n = lengths[r]!;
    for (let t = 0; t < n; t++) {
      const base = (r * seq + t) * dims;
      for (let d = 0; d < dims; d++) acc[d]! += hidden[base + d]!;
    }
    let ss = 0;
    for (let d = 0; d < dims; d++) {
      acc[d] = acc[d]! / Math.max(n, 1);
      ss += acc[d]! * acc[d]!;
    }
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    const o = at[r]! * dims;
    for (let d = 0; d < dims; d++) out[o + d] = acc[d]! * inv;
  }
}

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  /** Directory holding the model's files (for the version hash and the token limit). */
  dir: string;
  /** How it was found: "model-dir", "env", "hub-cache", "download-cache", "download". */
  source: string;
}

/** The library onnxruntime-node loads for its CUDA execution provider (installed beside its binding). */
export const CUDA_PROVIDER_LIBRARY = "libonnxruntime_providers_cuda.so";

/** Where onnxruntime-node's native binding (and any execution provider library) lives. */
export function onnxruntimeBinDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve("onnxruntime-node/package.json"));
  return join(pkg, "bin", "napi-v6", process.platform, process.arch);
}

const CUDA_INSTALL_FIX =
  "install onnxruntime-node with its CUDA 12 provider (ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node; this project's .npmrc skips that download, so run it where the GPU is), with the CUDA 12 and cuDNN 9 libraries on LD_LIBRARY_PATH; or use --device cpu";

/**
 * A clear error unless `--device cuda` can work here: Linux x64 (the only platform onnxruntime-node ships a
 * CUDA provider for) and the provider library beside the binding. Whether a GPU answers is known only when
 * the session starts; that failure is reported with the same fix.
 */
export function checkCudaProvider(binDir: string = onnxruntimeBinDir()): void {
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new ArrangeError(
      "embedder",
      `--device cuda needs Linux x64: onnxruntime-node has no CUDA execution provider for ${process.platform}-${process.arch}`,
      { option: "--device", fix: "use --device cpu, or --embedder http with a GPU embedding service" },
    );
  const lib = join(binDir, CUDA_PROVIDER_LIBRARY);
  if (!existsSync(lib))
    throw new ArrangeError(
      "embedder",
      `--device cuda: onnxruntime-node's CUDA execution provider is not installed (no ${lib})`,
      { option: "--device", fix: CUDA_INSTALL_FIX },
    );
}

export async function createTransformersEmbedder(options: TransformersEmbedderOptions): Promise<Embedder> {
  const environment = options.environment ?? process.env;
  const files = modelFiles(options.quantized === true);
  const tokenBudget = options.tokenBudget ?? DEFAULT_TOKEN_BUDGET;
  if (!Number.isSafeInteger(tokenBudget) || tokenBudget < 1)
    throw usageError(
      `token budget must be a positive integer, got ${tokenBudget}`,
      "--token-budget",
      "pass e.g. --token-budget 2048",
    );
  const threads = options.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw usageError(
      `threads must be a positive integer, got ${threads}`,
      "--embed-threads",
      "pass e.g. --embed-threads 2",
    );
  if (options.device === "cuda") checkCudaProvider();
  const progress = options.onProgress;
  progress?.({ stage: "embed:load", done: 0, total: 1, unit: "models", message: `loading ${options.model}` });
  const loaded = await withConsoleOnStderr(() => load(options, files, threads, environment));
  progress?.({
    stage: "embed:load",
    done: 1,
    total: 1,
    unit: "models",
    message: `${loaded.source}: ${loaded.dir}`,
  });
  try {
    return await start(loaded, options, tokenBudget);
  } catch (e) {
    await loaded.model.dispose().catch(() => undefined);
    throw e;
  }
}

/** The embedder around a loaded tokenizer and model (checks the options against the model, probes it). */
async function start(
  loaded: Loaded,
  options: TransformersEmbedderOptions,
  tokenBudget: number,
): Promise<Embedder> {
  const { tokenizer, model } = loaded;

  const { limit, positions } = modelTokenLimit(loaded.dir);
  const maxTokens = options.maxTokens ?? limit ?? 512;
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1)
    throw usageError(
      `max tokens must be a positive integer, got ${maxTokens}`,
      "--max-tokens",
      "pass e.g. --max-tokens 256",
    );
  if (positions !== undefined && maxTokens > positions)
    throw usageError(
      `--max-tokens ${maxTokens} is more than the ${positions} positions of the model in ${loaded.dir} (max_position_embeddings)`,
      "--max-tokens",
      `pass --max-tokens ${positions} or less`,
    );
  const tokenize = truncatingEncoder(tokenizer, maxTokens);
  const padId = typeof tokenizer.pad_token_id === "number" ? tokenizer.pad_token_id : 0;
  const session = (
    model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }
  ).sessions.model;
  const inputNames = new Set(session?.inputNames ?? ["input_ids", "attention_mask"]);
  const outputName = session?.outputNames.includes("last_hidden_state")
    ? "last_hidden_state"
    : (session?.outputNames[0] ?? "last_hidden_state");

  /** Run one padded batch; returns last hidden states [rows, seq, dims]. */
  async function run(
    rows: readonly Int32Array[],
  ): Promise<{ data: Float32Array; seq: number; dims: number }> {
    const seq = rows.reduce((m, r) => Math.max(m, r.length), 0);
    const ids = new BigInt64Array(rows.length * seq).fill(BigInt(padId));
    const mask = new BigInt64Array(rows.length * seq);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      for (let t = 0; t < row.length; t++) {
        ids[r * seq + t] = BigInt(row[t]!);
        mask[r * seq + t] = 1n;
      }
    }
    const dims = [rows.length, seq];
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor("int64", ids, dims),
      attention_mask: new Tensor("int64", mask, dims),
    };
    if (inputNames.has("token_type_ids"))
      feeds.token_type_ids = new Tensor("int64", new BigInt64Array(rows.length * seq), dims);
    const out = (await (model as unknown as (f: Record<string, Tensor>) => Promise<Record<string, Tensor>>)(
      feeds,
    )) as Record<string, Tensor>;
    const hidden = out[outputName];
    if (hidden === undefined || hidden.dims.length !== 3 || !(hidden.data instanceof Float32Array))
      throw new Error(`the model gave no float32 [batch, sequence, hidden] output "${outputName}"`);
    return { data: hidden.data, seq: hidden.dims[1]!, dims: hidden.dims[2]! };
  }

  async function embedTokenized(tok: Tokenized, dims: number): Promise<Float32Array> {
    const vectors = new Float32Array(tok.ids.length * dims);
    const lengths = Int32Array.from(tok.ids, (r) => r.length);
    for (const batch of tokenBudgetBatches(lengths, tokenBudget)) {
      const rows = Array.from(batch, (i) => tok.ids[i]!);
      const out = await run(rows).catch((e: unknown) => {
        throw new ArrangeError(
          "embedder",
          `${options.id} failed on a batch of ${rows.length} texts of up to ${lengths[batch[0]!]} tokens: ${errorText(e)}`,
          { option: "--token-budget", fix: "try a smaller --token-budget or --max-tokens", cause: e },
        );
      });
      if (out.dims !== dims)
        throw new ArrangeError(
          "embedder",
          `${options.id} returned ${out.dims} dimensions, expected ${dims}`,
          {
            fix: "the model's files changed while running; run again",
          },
        );
      meanPoolNormalize(
        out.data,
        rows.length,
        out.seq,
        dims,
        Array.from(rows, (r) => r.length),
        vectors,
        batch,
      );
    }
    return vectors;
  }

  // One probe run gives the embedding width (not every config names it the same way) and checks the output.
  const probe = await withConsoleOnStderr(() => run(tokenize(["a"]).ids)).catch((e: unknown) => {
    throw new ArrangeError(
      "embedder",
      `${options.id}: the model at ${loaded.dir} does not run: ${errorText(e)}`,
      {
        option: "--model-dir",
        fix: "give a feature-extraction model (BERT-like encoder) exported to ONNX, as transformers.js expects",
        cause: e,
      },
    );
  });
  const dims = probe.dims;
  const hash = await hashFiles(loaded.dir, modelFiles(options.quantized === true).required);
  const version =
    `${options.id};transformers.js@${env.version};model=${options.model};dtype=${options.quantized ? "q8" : "fp32"}` +
    (options.device === "cuda" ? ";device=cuda" : "") +
    `;files=${hash};maxTokens=${maxTokens};pool=mean;l2`;

  return {
    id: options.id,
    version,
    dims,
    normalized: true,
    preferredBatchSize: TRANSFORMERS_BATCH_TEXTS,
    maxTokens,
    async embed(texts: string[]): Promise<EmbedResult> {
      if (texts.length === 0) return { vectors: new Float32Array(0), truncated: 0 };
      const tok = tokenize(texts);
      const vectors = await withConsoleOnStderr(() => embedTokenized(tok, dims));
      let tokens = 0;
      for (const row of tok.ids) tokens += row.length;
      return {
        vectors,
        truncated: tok.truncated,
        truncatedMask: tok.truncatedMask,
        tokens,
        tokenChars: Math.round(tok.coveredChars),
      };
    },
    async dispose(): Promise<void> {
      await model.dispose();
    },
  };
}

async function load(
  options: TransformersEmbedderOptions,
  files: ModelFiles,
  threads: number,
  environment: Readonly<Record<string, string | undefined>>,
): Promise<Loaded> {
  const modelOptions = {
    device: options.device ?? "cpu",
    dtype: options.quantized ? ("q8" as const) : ("fp32" as const),
    session_options: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential" as const,
      graphOptimizationLevel: "all" as const,
    },
  };
  const fromDir = async (dir: string, source: string, option: string): Promise<Loaded> => {
    const missing = missingFiles(dir, files);
    if (missing.length > 0)
      throw new ArrangeError("embedder", `the model directory ${dir} lacks ${missing.join(", ")}`, {
        file: dir,
        option,
        fix: `give a directory with ${files.required.join(", ")} (a Hugging Face model exported for transformers.js); ${provideFix(options.model, files)}`,
      });
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true }).catch(
      (e: unknown) => {
        throw new ArrangeError("embedder", `could not load the tokenizer in ${dir}: ${errorText(e)}`, {
          file: dir,
          option,
          fix: `check that ${dir} holds a tokenizer exported for transformers.js (tokenizer.json, tokenizer_config.json)`,
          cause: e,
        });
      },
    );
    try {
      const model = await AutoModel.from_pretrained(dir, { ...modelOptions, local_files_only: true });
      return { tokenizer, model, dir, source };
    } catch (e) {
      if (modelOptions.device === "cuda")
        throw new ArrangeError("embedder", `could not start the model in ${dir} on CUDA: ${errorText(e)}`, {
          file: dir,
          option: "--device",
          fix: `check that a CUDA GPU is visible (nvidia-smi) and ${CUDA_INSTALL_FIX}`,
          cause: e,
        });
      throw new ArrangeError("embedder", `could not load the model in ${dir}: ${errorText(e)}`, {
        file: dir,
        option,
        fix: `check that ${dir} holds a feature-extraction model exported for transformers.js (config.json, tokenizer.json, ${files.onnx})`,
        cause: e,
      });
    }
  };

  const dirOption = options.modelDir ?? readSettings(environment).modelDir;
  if (dirOption !== undefined && dirOption !== "") {
    const option = options.modelDir !== undefined ? "--model-dir" : MODEL_DIR_ENV;
    const dir = resolve(dirOption);
    if (!existsSync(dir))
      throw new ArrangeError("embedder", `the model directory ${dirOption} does not exist`, {
        file: dirOption,
        option,
        fix: provideFix(options.model, files),
      });
    return fromDir(dir, option === "--model-dir" ? "model-dir" : "env", option);
  }

  const hub = hubCacheDir(environment);
  const snapshot = hubSnapshot(hub, options.model);
  if (snapshot !== undefined && missingFiles(snapshot, files).length === 0)
    return fromDir(snapshot, "hub-cache", "--embedder");
  const cacheDir = downloadCacheDir(environment);
  const cached = join(cacheDir, options.model);
  if (missingFiles(cached, files).length === 0) return fromDir(cached, "download-cache", "--embedder");

  const host = readSettings(environment).hfEndpoint ?? "https://huggingface.co";
  const where = `${hub}${snapshot === undefined ? "" : " (incomplete)"} or ${cacheDir}`;
  if (readSettings(environment).hfHubOffline)
    throw new ArrangeError(
      "embedder",
      `the ${options.model} model is not in the Hugging Face cache (${where}) and HF_HUB_OFFLINE is set`,
      { option: "--model-dir", fix: provideFix(options.model, files) },
    );
  env.remoteHost = host.endsWith("/") ? host : `${host}/`;
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(options.model, { cache_dir: cacheDir });
    const model = await AutoModel.from_pretrained(options.model, { ...modelOptions, cache_dir: cacheDir });
    return { tokenizer, model, dir: cached, source: "download" };
  } catch (e) {
    throw new ArrangeError(
      "embedder",
      `the ${options.model} model is not in the Hugging Face cache (${where}) and downloading it from ${host} failed: ${errorText(e)}`,
      { option: "--model-dir", fix: provideFix(options.model, files), cause: e },
    );
  }
}
