import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { onnxGraph } from "../../testing/onnx-graph.js";

/**
 * A random-weight BERT encoder written the way transformers.js expects a Hugging Face model directory:
 * `config.json`, `tokenizer.json` (WordPiece), `tokenizer_config.json` and `onnx/model.onnx`. Tests load it
 * through the same code path as `minilm`; the embed bench builds a MiniLM-shaped one (6 layers, 384 hidden,
 * 12 heads, 1536 FFN, 30,522 word pieces) so its timings are representative without the real weights.
 *
 * The graph is a standard post-LayerNorm BERT: word + position + token-type embeddings, then per layer
 * multi-head self-attention with the additive attention-mask bias, residual + LayerNorm, a GELU (erf) feed
 * forward, residual + LayerNorm. Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, [batch, seq]);
 * output `last_hidden_state` (float32, [batch, seq, hidden]). Weights are drawn from a seeded generator,
 * so the same options give byte-identical files.
 */
export interface BertShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
}

export const TINY_BERT: BertShape = { layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 512 };
export const MINILM_SHAPE: BertShape = {
  layers: 6,
  hidden: 384,
  heads: 12,
  intermediate: 1536,
  maxPositions: 512,
};
export const MINILM_VOCAB_SIZE = 30522;

export interface BertFixtureOptions {
  shape?: BertShape;
  /** Whole words in the vocabulary (lower case); single characters and `##` characters are always there. */
  words?: readonly string[];
  /** Pad the vocabulary with `[unusedN]` pieces up to this size (e.g. 30522 for MiniLM's embedding matrix). */
  vocabSize?: number;
  seed?: number;
  /** `model_max_length` in tokenizer_config.json (default 512). */
  modelMaxLength?: number;
  /**
   * Also write `onnx/model_quantized.onnx`: the same weights with every linear layer 8-bit and dynamically
   * quantized (the layout `--quantized` loads), for measuring the quantized model against fp32.
   */
  quantized?: boolean;
}

export interface BertFixture {
  dir: string;
  vocab: string[];
  shape: BertShape;
}

export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;
const CHARS = "abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`";

/** The vocabulary: specials, characters, `##` characters, the given words, then `[unusedN]` padding. */
export function fixtureVocab(words: readonly string[] = [], vocabSize = 0): string[] {
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set(vocab);
  const add = (t: string) => {
    if (!seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  for (const c of CHARS) add(c);
  for (const c of CHARS) add(`##${c}`);
  for (const w of words) add(w);
  for (let i = 0; vocab.length < vocabSize; i++) add(`[unused${i}]`);
  return vocab;
}

function tokenizerJson(vocab: readonly string[]): unknown {
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const special = (t: string) => ({ id: t, ids: [ids[t]], tokens: [t] });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: ids[t],
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: { "[CLS]": special("[CLS]"), "[SEP]": special("[SEP]") },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** The ONNX model bytes of a random BERT with `vocabSize` word pieces (linear layers 8-bit with `quantize`). */
export async function bertModelBytes(
  shape: BertShape,
  vocabSize: number,
  seed = 1,
  quantize = false,
): Promise<Uint8Array> {
  const { hidden: H, heads, intermediate: FF, layers, maxPositions } = shape;
  const g = await onnxGraph(seed, 0.02, quantize);
  const { op, rand, i64 } = g;
  const layerNorm = (x: string, prefix: string) => g.layerNorm(x, prefix, H, 1e-12);
  const linear = (x: string, prefix: string, inDim: number, outDim: number) =>
    g.linear(x, prefix, inDim, outDim, 0.02, 0.02);

  // Embeddings.
  const words = op("Gather", [rand("embeddings.word", [vocabSize, H]), "input_ids"]);
  const seqLen = op("Gather", [op("Shape", ["input_ids"]), i64("one_scalar", [], [1])], { axis: { i: 0 } });
  const positions = op("Range", [i64("zero_scalar", [], [0]), seqLen, "one_scalar"]);
  const pos = op("Gather", [rand("embeddings.position", [maxPositions, H]), positions]);
  const types = op("Gather", [rand("embeddings.token_type", [2, H]), "token_type_ids"]);
  let x = layerNorm(op("Add", [op("Add", [words, pos]), types]), "embeddings.norm");

  const bias = g.paddingBias();
  g.attentionConstants(H, heads);
  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const qkv = { q: `${p}.query`, k: `${p}.key`, v: `${p}.value` };
    const ctx = g.selfAttention(x, qkv, H, bias, 0.02, 0.02);
    x = layerNorm(op("Add", [x, linear(ctx, `${p}.attn_out`, H, H)]), `${p}.attn_norm`);
    const gelu = g.gelu(linear(x, `${p}.ffn_in`, H, FF));
    x = layerNorm(op("Add", [x, linear(gelu, `${p}.ffn_out`, FF, H)]), `${p}.ffn_norm`);
  }
  g.nameLastOutput("last_hidden_state");

  const ids = (name: string) => ({ name, type: "int64" as const, dims: ["batch_size", "sequence_length"] });
  return g.encode(
    "bert",
    [ids("input_ids"), ids("attention_mask"), ids("token_type_ids")],
    [{ name: "last_hidden_state", type: "float", dims: ["batch_size", "sequence_length", String(H)] }],
  );
}

/** Write a random BERT model directory (config, tokenizer, ONNX model) to `dir`. */
export async function writeBertFixture(dir: string, options: BertFixtureOptions = {}): Promise<BertFixture> {
  const shape = options.shape ?? TINY_BERT;
  const vocab = fixtureVocab(options.words, options.vocabSize);
  await mkdir(join(dir, "onnx"), { recursive: true });
  const config = {
    architectures: ["BertModel"],
    model_type: "bert",
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediate,
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    vocab_size: vocab.length,
    hidden_act: "gelu",
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };
  const tokenizerConfig = {
    tokenizer_class: "BertTokenizer",
    do_lower_case: true,
    model_max_length: options.modelMaxLength ?? 512,
    cls_token: "[CLS]",
    sep_token: "[SEP]",
    pad_token: "[PAD]",
    unk_token: "[UNK]",
    mask_token: "[MASK]",
  };
  await writeFile(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson(vocab)));
  await writeFile(join(dir, "onnx", "model.onnx"), await bertModelBytes(shape, vocab.length, options.seed));
  if (options.quantized)
    await writeFile(
      join(dir, "onnx", "model_quantized.onnx"),
      await bertModelBytes(shape, vocab.length, options.seed, true),
    );
  return { dir, vocab, shape };
}
