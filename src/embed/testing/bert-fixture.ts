import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

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

/** xorshift32 → approximately normal values (sum of four uniforms), scaled. */
export function randomFloats(n: number, scale: number, state: { s: number }): Float32Array {
  const out = new Float32Array(n);
  let s = state.s;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      sum += (s >>> 0) / 4294967296;
    }
    out[i] = (sum - 2) * 1.7320508 * scale; // variance of a sum of 4 uniforms is 1/3
  }
  state.s = s;
  return out;
}

/** The ONNX model bytes of a random BERT with `vocabSize` word pieces. */
export async function bertModelBytes(shape: BertShape, vocabSize: number, seed = 1): Promise<Uint8Array> {
  const { default: onnxProto } = await import("onnx-proto");
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const I64 = onnx.TensorProto.DataType.INT64;
  const A = onnx.AttributeProto.AttributeType;
  const { hidden: H, heads, intermediate: FF, layers, maxPositions } = shape;
  if (H % heads !== 0) throw new RangeError(`hidden ${H} is not a multiple of heads ${heads}`);
  const hd = H / heads;
  const state = { s: (seed * 2654435761) >>> 0 || 1 };
  const initializer: InstanceType<typeof onnx.TensorProto>[] = [];
  const node: InstanceType<typeof onnx.NodeProto>[] = [];
  const f32 = (name: string, dims: number[], data: Float32Array) => {
    initializer.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: F,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  };
  const i64 = (name: string, dims: number[], values: number[]) => {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    initializer.push(
      onnx.TensorProto.create({ name, dims, dataType: I64, rawData: new Uint8Array(data.buffer) }),
    );
    return name;
  };
  const rand = (name: string, dims: number[], scale = 0.02) =>
    f32(
      name,
      dims,
      randomFloats(
        dims.reduce((a, b) => a * b, 1),
        scale,
        state,
      ),
    );
  const filled = (name: string, n: number, v: number) => f32(name, [n], new Float32Array(n).fill(v));
  let counter = 0;
  const op = (
    opType: string,
    input: string[],
    attribute: Record<string, { i?: number; f?: number; ints?: number[] }> = {},
  ): string => {
    const out = `t${counter++}`;
    node.push(
      onnx.NodeProto.create({
        opType,
        input,
        output: [out],
        name: `${opType}_${counter}`,
        attribute: Object.entries(attribute).map(([name, a]) =>
          a.ints !== undefined
            ? { name, ints: a.ints, type: A.INTS }
            : a.f !== undefined
              ? { name, f: a.f, type: A.FLOAT }
              : { name, i: a.i ?? 0, type: A.INT },
        ),
      }),
    );
    return out;
  };
  const layerNorm = (x: string, prefix: string) =>
    op("LayerNormalization", [x, filled(`${prefix}.gamma`, H, 1), filled(`${prefix}.beta`, H, 0)], {
      axis: { i: -1 },
      epsilon: { f: 1e-12 },
    });
  const linear = (x: string, prefix: string, inDim: number, outDim: number) =>
    op("Add", [
      op("MatMul", [x, rand(`${prefix}.weight`, [inDim, outDim])]),
      rand(`${prefix}.bias`, [outDim]),
    ]);

  // Embeddings.
  const words = op("Gather", [rand("embeddings.word", [vocabSize, H]), "input_ids"]);
  const seqLen = op("Gather", [op("Shape", ["input_ids"]), i64("one_scalar", [], [1])], { axis: { i: 0 } });
  const positions = op("Range", [i64("zero_scalar", [], [0]), seqLen, "one_scalar"]);
  const pos = op("Gather", [rand("embeddings.position", [maxPositions, H]), positions]);
  const types = op("Gather", [rand("embeddings.token_type", [2, H]), "token_type_ids"]);
  let x = layerNorm(op("Add", [op("Add", [words, pos]), types]), "embeddings.norm");

  // Additive mask bias [batch, 1, 1, seq]: 0 where attended, -10000 at padding.
  const maskF = op("Cast", ["attention_mask"], { to: { i: F } });
  const bias = op("Mul", [
    op("Sub", [f32("one_f", [], new Float32Array([1])), maskF]),
    f32("neg_big", [], new Float32Array([-10000])),
  ]);
  const bias4 = op("Unsqueeze", [bias, i64("axes_1_2", [2], [1, 2])]);
  const splitShape = i64("split_heads", [4], [0, 0, heads, hd]);
  const mergeShape = i64("merge_heads", [3], [0, 0, H]);
  const scale = f32("attn_scale", [], new Float32Array([1 / Math.sqrt(hd)]));
  const half = f32("half", [], new Float32Array([0.5]));
  const sqrt2 = f32("sqrt2", [], new Float32Array([Math.SQRT2]));

  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const heads4 = (t: string, perm: number[]) =>
      op("Transpose", [op("Reshape", [t, splitShape])], { perm: { ints: perm } });
    const q = heads4(linear(x, `${p}.query`, H, H), [0, 2, 1, 3]);
    const k = heads4(linear(x, `${p}.key`, H, H), [0, 2, 3, 1]);
    const v = heads4(linear(x, `${p}.value`, H, H), [0, 2, 1, 3]);
    const scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), bias4]);
    const probs = op("Softmax", [scores], { axis: { i: -1 } });
    const ctx = op("Reshape", [
      op("Transpose", [op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
      mergeShape,
    ]);
    x = layerNorm(op("Add", [x, linear(ctx, `${p}.attn_out`, H, H)]), `${p}.attn_norm`);
    const h = linear(x, `${p}.ffn_in`, H, FF);
    const gelu = op("Mul", [op("Mul", [h, half]), op("Add", [op("Erf", [op("Div", [h, sqrt2])]), "one_f"])]);
    x = layerNorm(op("Add", [x, linear(gelu, `${p}.ffn_out`, FF, H)]), `${p}.ffn_norm`);
  }
  node[node.length - 1]!.output = ["last_hidden_state"];

  const valueInfo = (name: string, elemType: number, dims: string[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType,
          shape: { dim: dims.map((d) => (/^\d+$/.test(d) ? { dimValue: Number(d) } : { dimParam: d })) },
        },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "instruct-arrange-fixture",
    graph: {
      name: "bert",
      node,
      initializer,
      input: ["input_ids", "attention_mask", "token_type_ids"].map((n) =>
        valueInfo(n, I64, ["batch_size", "sequence_length"]),
      ),
      output: [valueInfo("last_hidden_state", F, ["batch_size", "sequence_length", String(H)])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
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
  return { dir, vocab, shape };
}
