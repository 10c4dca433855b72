/**
 * Building blocks for the random-weight ONNX test models (the BERT encoder in src/embed/testing and the
 * GPT-2-shaped LM in src/evaluate/testing): initializers, nodes, the seeded weight generator, LayerNorm,
 * linear layers, the padding-mask bias, multi-head self-attention, GELU and the serialized model. Both
 * fixtures build their graphs through one `OnnxGraph`, so a change here changes both the same way.
 *
 * Every helper appends to the graph in call order (initializers, then the node that uses them), so equal
 * calls give byte-identical models.
 */

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

type Attribute = { i?: number; f?: number; ints?: number[] };

export interface TensorSpec {
  name: string;
  /** "float" or "int64". */
  type: "float" | "int64";
  /** Fixed sizes as digits, symbolic ones by name ("batch_size"). */
  dims: string[];
}

export interface OnnxGraph {
  /** ONNX element type numbers. */
  readonly FLOAT: number;
  readonly INT64: number;
  f32(name: string, dims: number[], data: Float32Array): string;
  i64(name: string, dims: number[], values: number[]): string;
  /** A random float initializer (see `randomFloats`) with `scale` (default: the graph's default scale). */
  rand(name: string, dims: number[], scale?: number): string;
  /** A float vector of `n` copies of `v`. */
  filled(name: string, n: number, v: number): string;
  /** Append one node; its output is named `t<k>`. */
  op(opType: string, input: string[], attribute?: Record<string, Attribute>): string;
  layerNorm(x: string, prefix: string, width: number, epsilon: number): string;
  /**
   * x · W + b with W of `weightScale` and b of `biasScale`. In a graph made with `quantize`, W is stored as
   * int8 and the product is dynamically quantized, as onnxruntime's `quantize_dynamic` rewrites a MatMul.
   */
  linear(
    x: string,
    prefix: string,
    inDim: number,
    outDim: number,
    weightScale: number,
    biasScale: number,
  ): string;
  /** `one_f` and the additive padding bias [batch, 1, 1, seq]: 0 where attended, -10000 at padding. */
  paddingBias(): string;
  /** The constants `selfAttention` and `gelu` use (call once, before the layers). */
  attentionConstants(hidden: number, heads: number): void;
  /** Multi-head self-attention of `x` with additive `bias`; returns the merged context (before the output projection). */
  selfAttention(
    x: string,
    prefixes: { q: string; k: string; v: string },
    hidden: number,
    bias: string,
    weightScale: number,
    biasScale: number,
  ): string;
  /** GELU (erf form); needs `paddingBias` (for `one_f`) and `attentionConstants`. */
  gelu(x: string): string;
  /** Rename the output of the last node. */
  nameLastOutput(name: string): void;
  /** The serialized model (IR 8, opset 17). */
  encode(graphName: string, inputs: TensorSpec[], outputs: TensorSpec[]): Uint8Array;
}

/**
 * A fresh graph whose random weights come from `seed`; `defaultScale` is the scale `rand` uses when none is given.
 * With `quantize`, every `linear` layer is 8-bit (see `linear`); the random draws are the same, so the weights
 * are the int8 rounding of the float graph's.
 */
export async function onnxGraph(seed: number, defaultScale: number, quantize = false): Promise<OnnxGraph> {
  const { default: onnxProto } = await import("onnx-proto");
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const I64 = onnx.TensorProto.DataType.INT64;
  const I8 = onnx.TensorProto.DataType.INT8;
  const A = onnx.AttributeProto.AttributeType;
  const state = { s: (seed * 2654435761) >>> 0 || 1 };
  const initializer: InstanceType<typeof onnx.TensorProto>[] = [];
  const node: InstanceType<typeof onnx.NodeProto>[] = [];
  let counter = 0;
  let attention: { split: string; merge: string; scale: string; half: string; sqrt2: string } | undefined;

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
  const rand = (name: string, dims: number[], scale = defaultScale) =>
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
  const op = (opType: string, input: string[], attribute: Record<string, Attribute> = {}): string => {
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
  /**
   * x · W as onnxruntime's dynamic quantization computes it: W symmetric per-tensor int8 (scale max|W| / 127,
   * zero point 0); x quantized per call by DynamicQuantizeLinear (uint8, scale and zero point from its range);
   * MatMulInteger, then the int32 product scaled back to float.
   */
  const quantizedMatMul = (x: string, name: string, dims: number[], weightScale: number): string => {
    const w = randomFloats(dims[0]! * dims[1]!, weightScale, state);
    let max = 0;
    for (const v of w) max = Math.max(max, Math.abs(v));
    const scale = max > 0 ? max / 127 : 1;
    const q = Int8Array.from(w, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
    initializer.push(
      onnx.TensorProto.create({
        name: `${name}_quantized`,
        dims,
        dataType: I8,
        rawData: new Uint8Array(q.buffer),
      }),
    );
    initializer.push(
      onnx.TensorProto.create({
        name: `${name}_zero_point`,
        dims: [],
        dataType: I8,
        rawData: new Uint8Array(1),
      }),
    );
    f32(`${name}_scale`, [], new Float32Array([scale]));
    const base = `t${counter++}`;
    const [xq, xs, xz] = [`${base}_q`, `${base}_scale`, `${base}_zero_point`];
    node.push(
      onnx.NodeProto.create({
        opType: "DynamicQuantizeLinear",
        input: [x],
        output: [xq, xs, xz],
        name: `DynamicQuantizeLinear_${counter}`,
      }),
    );
    const product = op("MatMulInteger", [xq, `${name}_quantized`, xz, `${name}_zero_point`]);
    return op("Mul", [op("Cast", [product], { to: { i: F } }), op("Mul", [xs, `${name}_scale`])]);
  };
  const linear = (
    x: string,
    prefix: string,
    inDim: number,
    outDim: number,
    weightScale: number,
    biasScale: number,
  ) =>
    op("Add", [
      quantize
        ? quantizedMatMul(x, `${prefix}.weight`, [inDim, outDim], weightScale)
        : op("MatMul", [x, rand(`${prefix}.weight`, [inDim, outDim], weightScale)]),
      rand(`${prefix}.bias`, [outDim], biasScale),
    ]);
  const constants = () => {
    if (attention === undefined) throw new Error("call attentionConstants first");
    return attention;
  };

  return {
    FLOAT: F,
    INT64: I64,
    f32,
    i64,
    rand,
    filled,
    op,
    linear,
    layerNorm: (x, prefix, width, epsilon) =>
      op("LayerNormalization", [x, filled(`${prefix}.gamma`, width, 1), filled(`${prefix}.beta`, width, 0)], {
        axis: { i: -1 },
        epsilon: { f: epsilon },
      }),
    paddingBias: () => {
      const maskF = op("Cast", ["attention_mask"], { to: { i: F } });
      return op("Unsqueeze", [
        op("Mul", [
          op("Sub", [f32("one_f", [], new Float32Array([1])), maskF]),
          f32("neg_big", [], new Float32Array([-10000])),
        ]),
        i64("axes_1_2", [2], [1, 2]),
      ]);
    },
    attentionConstants: (hidden, heads) => {
      if (hidden % heads !== 0) throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
      const hd = hidden / heads;
      attention = {
        split: i64("split_heads", [4], [0, 0, heads, hd]),
        merge: i64("merge_heads", [3], [0, 0, hidden]),
        scale: f32("attn_scale", [], new Float32Array([1 / Math.sqrt(hd)])),
        half: f32("half", [], new Float32Array([0.5])),
        sqrt2: f32("sqrt2", [], new Float32Array([Math.SQRT2])),
      };
    },
    selfAttention: (x, prefixes, hidden, bias, weightScale, biasScale) => {
      const c = constants();
      const heads4 = (t: string, perm: number[]) =>
        op("Transpose", [op("Reshape", [t, c.split])], { perm: { ints: perm } });
      const proj = (prefix: string) => linear(x, prefix, hidden, hidden, weightScale, biasScale);
      const q = heads4(proj(prefixes.q), [0, 2, 1, 3]);
      const k = heads4(proj(prefixes.k), [0, 2, 3, 1]);
      const v = heads4(proj(prefixes.v), [0, 2, 1, 3]);
      const scores = op("Add", [op("Mul", [op("MatMul", [q, k]), c.scale]), bias]);
      const probs = op("Softmax", [scores], { axis: { i: -1 } });
      return op("Reshape", [
        op("Transpose", [op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
        c.merge,
      ]);
    },
    gelu: (x) => {
      const c = constants();
      return op("Mul", [op("Mul", [x, c.half]), op("Add", [op("Erf", [op("Div", [x, c.sqrt2])]), "one_f"])]);
    },
    nameLastOutput: (name) => {
      node[node.length - 1]!.output = [name];
    },
    encode: (graphName, inputs, outputs) => {
      const valueInfo = ({ name, type, dims }: TensorSpec) =>
        onnx.ValueInfoProto.create({
          name,
          type: {
            tensorType: {
              elemType: type === "float" ? F : I64,
              shape: { dim: dims.map((d) => (/^\d+$/.test(d) ? { dimValue: Number(d) } : { dimParam: d })) },
            },
          },
        });
      const model = onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: "", version: 17 }],
        producerName: "instruct-arrange-fixture",
        graph: {
          name: graphName,
          node,
          initializer,
          input: inputs.map(valueInfo),
          output: outputs.map(valueInfo),
        },
      });
      return onnx.ModelProto.encode(model).finish();
    },
  };
}
