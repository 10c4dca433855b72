import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { ArrangeError } from "../core/errors.js";
import { checkGemmArgs } from "./check-gemm-args.js";
import type { GemmEngine } from "./types.js";

export interface OrtGemmOptions {
  /** intra-op threads; default: every core (os.availableParallelism()). */
  threads?: number;
  /** "cpu" (default, MLAS) or "cuda" (the CUDA execution provider, GPU 0). */
  device?: "cpu" | "cuda";
}

/** Terminal colour codes that onnxruntime puts in its messages. */
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

const CUDA_FIX =
  "use --engine ort (the CPU); or, on a machine with an NVIDIA GPU, its driver and CUDA 12, fetch onnxruntime-node's CUDA binaries " +
  "(onnxruntime-node/script/install.js): ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node (the variable overrides the project's .npmrc skip)";

/** Why the CUDA execution provider cannot be used here, or undefined when onnxruntime says it can. */
function cudaUnavailable(ort: Ort): string | undefined {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] })
    .listSupportedBackends;
  if (typeof list !== "function") return undefined;
  const cuda = list().find((b) => b.name === "cuda");
  if (cuda === undefined) return "this onnxruntime-node build has no CUDA execution provider";
  // Not bundled: the CUDA provider library must have been installed beside the native binding.
  if (!cuda.bundled) {
    let dir: string;
    try {
      const require = createRequire(import.meta.url);
      dir = join(
        dirname(require.resolve("onnxruntime-node")),
        "..",
        "bin",
        "napi-v6",
        process.platform,
        process.arch,
      );
    } catch {
      return undefined;
    }
    const lib = join(dir, "libonnxruntime_providers_cuda.so");
    if (!existsSync(lib)) return `onnxruntime-node was installed without its CUDA binaries (no ${lib})`;
  }
  return undefined;
}

type Ort = typeof import("onnxruntime-node");
type Session = Awaited<ReturnType<Ort["InferenceSession"]["create"]>>;

/**
 * One ONNX graph with a single Gemm node (C = alpha · A · Bᵀ, transB = 1), with symbolic shapes so one
 * session serves every block size. alpha is an attribute, so there is one session per alpha value.
 */
async function gemmModel(alpha: number): Promise<Uint8Array> {
  const { default: onnxProto } = await import("onnx-proto");
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const valueInfo = (name: string, dims: string[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: F, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } },
    });
  const INT = onnx.AttributeProto.AttributeType.INT;
  const FLOAT = onnx.AttributeProto.AttributeType.FLOAT;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "instruct-arrange",
    graph: {
      name: "gemm_nt",
      node: [
        {
          opType: "Gemm",
          input: ["A", "B"],
          output: ["C"],
          attribute: [
            { name: "transB", i: 1, type: INT },
            { name: "alpha", f: alpha, type: FLOAT },
          ],
        },
      ],
      input: [valueInfo("A", ["m", "d"]), valueInfo("B", ["n", "d"])],
      output: [valueInfo("C", ["m", "n"])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The onnxruntime-node engine (MLAS SGEMM on the CPU). Results are written straight into the caller's
 * buffer (a pre-allocated output tensor), so a block of distances costs no extra copy.
 * Throws when onnxruntime-node cannot load; `createGemm` turns that into a fallback.
 */
export async function createOrtGemm(options: OrtGemmOptions = {}): Promise<GemmEngine> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw new RangeError(`threads must be ≥ 1, got ${threads}`);
  const ort: Ort = (await import("onnxruntime-node")).default as unknown as Ort;
  const cuda = options.device === "cuda";
  if (cuda) {
    const why = cudaUnavailable(ort);
    if (why !== undefined)
      throw new ArrangeError("usage", `--engine ort-cuda: ${why}`, { option: "--engine", fix: CUDA_FIX });
  }
  const sessions = new Map<number, Promise<Session>>();
  const session = (alpha: number): Promise<Session> => {
    // alpha is stored as float32 in the graph; key by the float32 value so 0.1 and fround(0.1) share a session.
    const key = Math.fround(alpha);
    let s = sessions.get(key);
    if (s === undefined) {
      s = gemmModel(key).then((bytes) =>
        ort.InferenceSession.create(bytes, {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: "sequential",
          graphOptimizationLevel: "all",
          // Workers that spin between runs steal the core the JS thread needs to consume each block.
          extra: { session: { intra_op: { allow_spinning: "0" } } },
          ...(cuda
            ? { executionProviders: [{ name: "cuda", deviceId: 0 }], logSeverityLevel: 3 as const }
            : {}),
        }),
      );
      sessions.set(key, s);
    }
    return s;
  };
  // Load eagerly so a broken native binding fails here (and falls back), not in the middle of a run.
  try {
    await session(1);
  } catch (e) {
    if (!cuda) throw e;
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.replace(ANSI_COLOR, "");
    throw new ArrangeError("usage", `--engine ort-cuda: onnxruntime-node cannot use CUDA here (${why})`, {
      option: "--engine",
      fix: CUDA_FIX,
      cause: e,
    });
  }
  return {
    name: cuda ? "ort-cuda" : "ort",
    threads,
    async multiplyNT(a, rowsA, b, rowsB, d, alpha = 1, out) {
      const c = checkGemmArgs(a, rowsA, b, rowsB, d, out);
      if (rowsA === 0 || rowsB === 0) return c;
      if (d === 0) {
        c.fill(0);
        return c;
      }
      const s = await session(alpha);
      await s.run(
        {
          A: new ort.Tensor("float32", a.subarray(0, rowsA * d), [rowsA, d]),
          B: new ort.Tensor("float32", b.subarray(0, rowsB * d), [rowsB, d]),
        },
        { C: new ort.Tensor("float32", c, [rowsA, rowsB]) },
      );
      return c;
    },
    async dispose() {
      const all = [...sessions.values()];
      sessions.clear();
      for (const s of all) await (await s).release();
    },
  };
}
