import { checkGemmArgs } from "./check-gemm-args.js";
import type { GemmEngine } from "./types.js";

/** Rows of B kept hot in cache while all rows of A stream past them (64 rows × 384 floats ≈ 96 KiB). */
const B_BLOCK = 64;

/**
 * out[i*rowsB + j] = alpha * dot(a_i, b_j), a: rowsA × d, b: rowsB × d, row-major (C = alpha · A · Bᵀ).
 * Cache-blocked over B, with a 2×4 register tile; dot products accumulate in float64 (JS numbers),
 * so results can differ from float32 BLAS in the last bits.
 */
export function gemmNT(
  a: Float32Array,
  rowsA: number,
  b: Float32Array,
  rowsB: number,
  d: number,
  alpha: number,
  out: Float32Array,
): void {
  for (let j0 = 0; j0 < rowsB; j0 += B_BLOCK) {
    const j1 = Math.min(rowsB, j0 + B_BLOCK);
    let i = 0;
    for (; i + 2 <= rowsA; i += 2) {
      const a0 = i * d;
      const a1 = a0 + d;
      let j = j0;
      for (; j + 4 <= j1; j += 4) {
        const b0 = j * d;
        const b1 = b0 + d;
        const b2 = b1 + d;
        const b3 = b2 + d;
        let s00 = 0;
        let s01 = 0;
        let s02 = 0;
        let s03 = 0;
        let s10 = 0;
        let s11 = 0;
        let s12 = 0;
        let s13 = 0;
        for (let k = 0; k < d; k++) {
          const x0 = a[a0 + k]!;
          const x1 = a[a1 + k]!;
          const y0 = b[b0 + k]!;
          const y1 = b[b1 + k]!;
          const y2 = b[b2 + k]!;
          const y3 = b[b3 + k]!;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
        }
        const o0 = i * rowsB + j;
        const o1 = o0 + rowsB;
        out[o0] = alpha * s00;
        out[o0 + 1] = alpha * s01;
        out[o0 + 2] = alpha * s02;
        out[o0 + 3] = alpha * s03;
        out[o1] = alpha * s10;
        out[o1 + 1] = alpha * s11;
        out[o1 + 2] = alpha * s12;
        out[o1 + 3] = alpha * s13;
      }
      for (; j < j1; j++) {
        out[i * rowsB + j] = alpha * dot(a, a0, b, j * d, d);
        out[(i + 1) * rowsB + j] = alpha * dot(a, a1, b, j * d, d);
      }
    }
    for (; i < rowsA; i++) {
      for (let j = j0; j < j1; j++) out[i * rowsB + j] = alpha * dot(a, i * d, b, j * d, d);
    }
  }
}

function dot(a: Float32Array, offA: number, b: Float32Array, offB: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[offA + k]! * b[offB + k]!;
  return s;
}

/** The TypeScript engine: single-threaded, no native code; the reference and fallback. */
export function createTsGemm(fallbackReason?: string): GemmEngine {
  return {
    name: "ts",
    threads: 1,
    ...(fallbackReason === undefined ? {} : { fallbackReason }),
    async multiplyNT(a, rowsA, b, rowsB, d, alpha = 1, out) {
      const c = checkGemmArgs(a, rowsA, b, rowsB, d, out);
      gemmNT(a, rowsA, b, rowsB, d, alpha, c);
      return c;
    },
    async dispose() {},
  };
}
