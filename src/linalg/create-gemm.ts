import { createOrtGemm } from "./gemm-ort.js";
import { createTsGemm } from "./gemm-ts.js";
import type { GemmEngine } from "./types.js";

export type GemmEngineName = "ort" | "ort-cuda" | "ts";

export interface CreateGemmOptions {
  /**
   * "ort" (default): onnxruntime-node on the CPU, falling back to "ts" when it cannot load; "ort-cuda":
   * onnxruntime-node's CUDA execution provider (an error when it is not available); "ts": TypeScript loops.
   */
  engine?: GemmEngineName;
  /** Threads for the ort engine; default: every core. */
  threads?: number;
}

/**
 * The matrix-product engine. When "ort" cannot load, the TypeScript engine is returned with
 * `fallbackReason` saying why, so callers can report it (the CLI prints it; nothing is printed here).
 */
export async function createGemm(options: CreateGemmOptions = {}): Promise<GemmEngine> {
  const engine = options.engine ?? "ort";
  if (engine === "ts") return createTsGemm();
  // Asked for a GPU: no silent fallback to the CPU (createOrtGemm throws a usage error naming --engine).
  if (engine === "ort-cuda")
    return createOrtGemm({
      device: "cuda",
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
  if (engine !== "ort")
    throw new RangeError(`unknown gemm engine "${String(engine)}"; expected "ort", "ort-cuda" or "ts"`);
  try {
    return await createOrtGemm(options.threads === undefined ? {} : { threads: options.threads });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return createTsGemm(
      `onnxruntime-node could not load (${why}); using the TypeScript engine, which is much slower`,
    );
  }
}
