import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { onnxGraph } from "../../testing/onnx-graph.js";

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
  const { hidden: H, heads, layers, positions: P } = shape;
  const g = await onnxGraph(seed, 0.5);
  const { op, rand, i64, f32 } = g;
  const layerNorm = (x: string, prefix: string) => g.layerNorm(x, prefix, H, 1e-5);
  const linear = (x: string, prefix: string, inDim: number, outDim: number) =>
    g.linear(x, prefix, inDim, outDim, 1 / Math.sqrt(inDim), 0.02);

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
  const bias = op("Add", [causalBias, g.paddingBias()]);
  g.attentionConstants(H, heads);

  for (let l = 0; l < layers; l++) {
    const p = `h${l}`;
    const h = layerNorm(x, `${p}.ln_1`);
    const ctx = g.selfAttention(
      h,
      { q: `${p}.q`, k: `${p}.k`, v: `${p}.v` },
      H,
      bias,
      1 / Math.sqrt(H),
      0.02,
    );
    x = op("Add", [x, linear(ctx, `${p}.proj`, H, H)]);
    const gelu = g.gelu(linear(layerNorm(x, `${p}.ln_2`), `${p}.fc`, H, 4 * H));
    x = op("Add", [x, linear(gelu, `${p}.fc_out`, 4 * H, H)]);
  }
  op("MatMul", [layerNorm(x, "ln_f"), rand("lm_head", [H, vocab], 1 / Math.sqrt(H))]);
  g.nameLastOutput("logits");

  const ids = (name: string) => ({ name, type: "int64" as const, dims: ["batch_size", "sequence_length"] });
  return g.encode(
    "gpt2",
    [ids("input_ids"), ids("attention_mask")],
    [{ name: "logits", type: "float", dims: ["batch_size", "sequence_length", String(vocab)] }],
  );
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
