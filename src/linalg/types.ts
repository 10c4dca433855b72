/**
 * Matrix products for distance computation. C = -? A · Bᵀ with A: rowsA × d, B: rowsB × d, C: rowsA × rowsB
 * row-major. Implementations: onnxruntime-node (fast, native) and a blocked TypeScript loop (fallback, tests).
 */
export interface GemmEngine {
  readonly name: string;
  /** Threads the engine computes with (1 for the TypeScript engine). */
  readonly threads?: number;
  /** Set when another engine was asked for and could not load: why this one runs instead. */
  readonly fallbackReason?: string;
  /** out[i*rowsB + j] = alpha * dot(A_i, B_j). `out` must have rowsA*rowsB elements when given. */
  multiplyNT(
    a: Float32Array,
    rowsA: number,
    b: Float32Array,
    rowsB: number,
    d: number,
    alpha?: number,
    out?: Float32Array,
  ): Promise<Float32Array>;
  dispose(): Promise<void>;
}
