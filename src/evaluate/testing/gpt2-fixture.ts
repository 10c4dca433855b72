import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomFloats } from "../../embed/testing/bert-fixture.js";

/**
 * A random-weight GPT-2-shaped causal LM written as a Hugging Face model directory for transformers.js:
 * `config.json` (model_type gpt2), `tokenizer.json` (byte-level BPE with the 256 byte tokens and no merges,
 * so token id = byte value, plus <|bos|> 256, <|eos|> 257, <|pad|> 258), `tokenizer_config.json` and
 * `onnx/model.onnx`. The graph is pre-LayerNorm GPT: token + learned position embeddings, per layer causal
 * multi-head self-attention (plus the attention-mask bias on keys) and a GELU feed forward, final
 * LayerNorm, then the LM head. Inputs `input_ids`, `attention_mask` (int64 [batch, seq]); output `logits`
 * (float32 [batch, seq, vocab]); no past_key_values (transformers.js feeds none when the graph has none).
 * Weights come from a seeded generator, so equal options give byte-identical files.
 */
export interface Gpt2Shape {
  layers: number;
  hidden: number;
  heads: number;
  positions: number;
}

export const TINY_GPT2: Gpt2Shape = { layers: 2, hidden: 32, heads: 4, positions: 128 };
export const GPT2_SPECIALS = ["<|bos|>", "<|eos|>", "<|pad|>"] as const;
export const GPT2_FIXTURE_VOCAB = 259;

/** GPT-2's reversible byte → printable character table (the public byte-level BPE convention). */
export function byteLevelAlphabet(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep(b) ? b : 256 + extra++);
  return out;
}

function tokenizerJson(): unknown {
  const alphabet = byteLevelAlphabet();
  const vocab: Record<string, number> = {};
  alphabet.forEach((c, b) => {
    vocab[c] = b;
  });
  GPT2_SPECIALS.forEach((t, k) => {
    vocab[t] = 256 + k;
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: GPT2_SPECIALS.map((t, k) => ({
      id: 256 + k,
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

/** The ONNX bytes of a random GPT-2-shaped model with `vocab` tokens. */
export async function gpt2ModelBytes(
  shape: Gpt2Shape,
  vocab = GPT2_FIXTURE_VOCAB,
  seed = 1,
): Promise<Uint8Array> {
  const { default: onnxProto } = await import("onnx-proto");
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const I64 = onnx.TensorProto.DataType.INT64;
  const A = onnx.AttributeProto.AttributeType;
  const { hidden: H, heads, layers, positions: P } = shape;
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
  const rand = (name: string, dims: number[], scale = 0.5) =>
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
      epsilon: { f: 1e-5 },
    });
  const linear = (x: string, prefix: string, inDim: number, outDim: number, scale = 1 / Math.sqrt(inDim)) =>
    op("Add", [
      op("MatMul", [x, rand(`${prefix}.weight`, [inDim, outDim], scale)]),
      rand(`${prefix}.bias`, [outDim], 0.02),
    ]);

  const seqLen = op("Gather", [op("Shape", ["input_ids"]), i64("one_scalar", [], [1])], { axis: { i: 0 } });
  const positions = op("Range", [i64("zero_scalar", [], [0]), seqLen, "one_scalar"]);
  let x = op("Add", [
    op("Gather", [rand("wte", [vocab, H]), "input_ids"]),
    op("Gather", [rand("wpe", [P, H], 0.1), positions]),
  ]);

  // Causal bias [seq, seq] sliced from a constant [P, P], plus the key padding bias [batch, 1, 1, seq].
  const causal = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) causal[i * P + j] = -10000;
  const seq1 = op("Unsqueeze", [seqLen, i64("axis_0", [1], [0])]);
  const ends = op("Concat", [seq1, seq1], { axis: { i: 0 } });
  const causalBias = op("Slice", [
    f32("causal", [P, P], causal),
    i64("starts_00", [2], [0, 0]),
    ends,
    i64("axes_01", [2], [0, 1]),
  ]);
  const maskF = op("Cast", ["attention_mask"], { to: { i: F } });
  const padBias = op("Unsqueeze", [
    op("Mul", [
      op("Sub", [f32("one_f", [], new Float32Array([1])), maskF]),
      f32("neg_big", [], new Float32Array([-10000])),
    ]),
    i64("axes_1_2", [2], [1, 2]),
  ]);
  const bias = op("Add", [causalBias, padBias]);
  const splitShape = i64("split_heads", [4], [0, 0, heads, hd]);
  const mergeShape = i64("merge_heads", [3], [0, 0, H]);
  const scale = f32("attn_scale", [], new Float32Array([1 / Math.sqrt(hd)]));
  const half = f32("half", [], new Float32Array([0.5]));
  const sqrt2 = f32("sqrt2", [], new Float32Array([Math.SQRT2]));

  for (let l = 0; l < layers; l++) {
    const p = `h${l}`;
    const h = layerNorm(x, `${p}.ln_1`);
    const heads4 = (t: string, perm: number[]) =>
      op("Transpose", [op("Reshape", [t, splitShape])], { perm: { ints: perm } });
    const q = heads4(linear(h, `${p}.q`, H, H), [0, 2, 1, 3]);
    const k = heads4(linear(h, `${p}.k`, H, H), [0, 2, 3, 1]);
    const v = heads4(linear(h, `${p}.v`, H, H), [0, 2, 1, 3]);
    const scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), bias]);
    const probs = op("Softmax", [scores], { axis: { i: -1 } });
    const ctx = op("Reshape", [
      op("Transpose", [op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
      mergeShape,
    ]);
    x = op("Add", [x, linear(ctx, `${p}.proj`, H, H)]);
    const f = linear(layerNorm(x, `${p}.ln_2`), `${p}.fc`, H, 4 * H);
    const gelu = op("Mul", [op("Mul", [f, half]), op("Add", [op("Erf", [op("Div", [f, sqrt2])]), "one_f"])]);
    x = op("Add", [x, linear(gelu, `${p}.fc_out`, 4 * H, H)]);
  }
  op("MatMul", [layerNorm(x, "ln_f"), rand("lm_head", [H, vocab], 1 / Math.sqrt(H))]);
  node[node.length - 1]!.output = ["logits"];

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
      name: "gpt2",
      node,
      initializer,
      input: ["input_ids", "attention_mask"].map((n) => valueInfo(n, I64, ["batch_size", "sequence_length"])),
      output: [valueInfo("logits", F, ["batch_size", "sequence_length", String(vocab)])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Write the random GPT-2-shaped model directory to `dir`. */
export async function writeGpt2Fixture(dir: string, shape: Gpt2Shape = TINY_GPT2, seed = 1): Promise<string> {
  await mkdir(join(dir, "onnx"), { recursive: true });
  const config = {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    n_embd: shape.hidden,
    n_layer: shape.layers,
    n_head: shape.heads,
    n_positions: shape.positions,
    n_ctx: shape.positions,
    vocab_size: GPT2_FIXTURE_VOCAB,
    bos_token_id: 256,
    eos_token_id: 257,
    pad_token_id: 258,
    use_cache: false,
  };
  const tokenizerConfig = {
    tokenizer_class: "GPT2Tokenizer",
    bos_token: "<|bos|>",
    eos_token: "<|eos|>",
    pad_token: "<|pad|>",
    add_bos_token: false,
    model_max_length: shape.positions,
  };
  await writeFile(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson()));
  await writeFile(join(dir, "onnx", "model.onnx"), await gpt2ModelBytes(shape, GPT2_FIXTURE_VOCAB, seed));
  return dir;
}
