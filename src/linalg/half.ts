import type { Matrix } from "../core/types.js";

let table: Float32Array | undefined;

/** float16 bits → float32 value for all 65,536 bit patterns (exact: every float16 is a float32). */
export function halfTable(): Float32Array {
  if (table !== undefined) return table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    t[h] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac === 0
            ? sign * Number.POSITIVE_INFINITY
            : Number.NaN
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  table = t;
  return t;
}

/** Converts float16 bits to float32 values (out may be longer; returns the filled part). */
export function halfToFloat32(
  bits: Uint16Array,
  out: Float32Array = new Float32Array(bits.length),
): Float32Array {
  const t = halfTable();
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out.subarray(0, bits.length);
}

/**
 * A matrix kept in memory as float16 bits (half the bytes of float32). The streaming TMA engine reads
 * `half` block by block, converting each block to float32 for the products (so distances are the
 * float32 products of the exact float16 values, identical to converting the whole file first). Any
 * other reader that touches `data` gets the float32 conversion, made once, on first access (then the
 * memory saving is gone for that run, and the result is the same).
 */
export function halfMatrix(
  half: Uint16Array,
  rows: number,
  cols: number,
  onConvert?: (data: Float32Array) => void,
): Matrix {
  let data: Float32Array | undefined;
  return {
    half,
    rows,
    cols,
    get data(): Float32Array {
      if (data === undefined) {
        data = halfToFloat32(half);
        onConvert?.(data);
      }
      return data;
    },
  };
}

/** Rows `keep` (ascending input rows) of m, in the same representation (float16 stays float16). */
export function selectRows(
  m: Matrix,
  keep: ArrayLike<number>,
  onConvert?: (data: Float32Array) => void,
): Matrix {
  const { cols } = m;
  if (m.half !== undefined) {
    const out = new Uint16Array(keep.length * cols);
    for (let k = 0; k < keep.length; k++) {
      const src = keep[k]! * cols;
      out.set(m.half.subarray(src, src + cols), k * cols);
    }
    return halfMatrix(out, keep.length, cols, onConvert);
  }
  const out = new Float32Array(keep.length * cols);
  for (let k = 0; k < keep.length; k++) {
    const src = keep[k]! * cols;
    out.set(m.data.subarray(src, src + cols), k * cols);
  }
  return { data: out, rows: keep.length, cols };
}
