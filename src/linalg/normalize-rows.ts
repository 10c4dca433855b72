import { halfTable } from "./half.js";

/** Rows whose L2 norm is within this of 1 count as unit vectors and are not rescaled. */
export const UNIT_NORM_TOLERANCE = 1e-4;

/**
 * Unit-L2-normalized rows of a rows × cols matrix. Returns `data` itself when every row is already a
 * unit vector within `UNIT_NORM_TOLERANCE` (sentence encoders usually normalize), otherwise a copy.
 * Zero rows stay zero (their cosine with anything is taken as 0). Norms are computed in float64.
 */
export function normalizeRows(data: Float32Array, rows: number, cols: number): Float32Array {
  let unit = true;
  for (let i = 0; i < rows && unit; i++) {
    const norm = Math.sqrt(rowSquaredNorm(data, i * cols, cols));
    if (Math.abs(norm - 1) > UNIT_NORM_TOLERANCE) unit = false;
  }
  if (unit) return data;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const norm = Math.sqrt(rowSquaredNorm(data, off, cols));
    const s = norm > 0 ? 1 / norm : 0;
    for (let k = 0; k < cols; k++) out[off + k] = data[off + k]! * s;
  }
  return out;
}

/** Σ x_k² of the row starting at `offset`, in float64. */
export function rowSquaredNorm(data: Float32Array, offset: number, cols: number): number {
  let s = 0;
  for (let k = 0; k < cols; k++) {
    const v = data[offset + k]!;
    s += v * v;
  }
  return s;
}

/**
 * The factor each row is scaled by to make it a unit vector: 1 for rows already within
 * UNIT_NORM_TOLERANCE of unit length (kept as they are), 0 for zero rows, else 1 / norm (float64).
 * The decision is per row, so a row's normalized values never depend on which block it is read in.
 */
export function rowScale(data: Float32Array, offset: number, cols: number): number {
  const norm = Math.sqrt(rowSquaredNorm(data, offset, cols));
  if (Math.abs(norm - 1) <= UNIT_NORM_TOLERANCE) return 1;
  return norm > 0 ? 1 / norm : 0;
}

/** rowScale of every row (n × 8 bytes), so that streaming passes do not recompute the norms. */
export function rowScales(data: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = rowScale(data, i * cols, cols);
  return out;
}

/**
 * Rows r0 .. r0+rows of a matrix as unit vectors, for streaming one block at a time: a view of `data`
 * when every one of them already is (within UNIT_NORM_TOLERANCE), else copied into `scratch`
 * (≥ rows × cols) with each row scaled by its rowScale (unit rows are copied unchanged). Zero rows
 * stay zero. `scales` (from rowScales) saves recomputing the norms.
 */
export function unitRowsBlock(
  data: Float32Array,
  r0: number,
  rows: number,
  cols: number,
  scratch: Float32Array,
  scales?: Float64Array,
): Float32Array {
  const view = data.subarray(r0 * cols, (r0 + rows) * cols);
  let unit = true;
  const s = scales?.subarray(r0, r0 + rows) ?? new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    if (scales === undefined) s[i] = rowScale(view, i * cols, cols);
    if (s[i] !== 1) unit = false;
  }
  if (unit) return view;
  const out = scratch.subarray(0, rows * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const f = s[i]!;
    if (f === 1) out.set(view.subarray(off, off + cols), off);
    else for (let k = 0; k < cols; k++) out[off + k] = view[off + k]! * f;
  }
  return out;
}

/**
 * Gathers rows ids[from .. from+count) of a matrix into `out` (≥ count × cols) as unit vectors, each
 * scaled by its rowScale exactly as unitRowsBlock does, so a row's values are the same whichever block
 * it is read in.
 */
export function gatherUnitRows(
  data: Float32Array,
  ids: Int32Array,
  from: number,
  count: number,
  cols: number,
  scales: Float64Array,
  out: Float32Array,
): Float32Array {
  for (let r = 0; r < count; r++) {
    const i = ids[from + r]!;
    const src = i * cols;
    const dst = r * cols;
    const f = scales[i]!;
    if (f === 1) out.set(data.subarray(src, src + cols), dst);
    else for (let k = 0; k < cols; k++) out[dst + k] = data[src + k]! * f;
  }
  return out.subarray(0, count * cols);
}

/** rowScales of a matrix held as float16 bits (linalg/half.ts): each row converted to float32 first. */
export function rowScalesHalf(half: Uint16Array, rows: number, cols: number): Float64Array {
  const t = halfTable();
  const row = new Float32Array(cols);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let k = 0; k < cols; k++) row[k] = t[half[off + k]!]!;
    out[i] = rowScale(row, 0, cols);
  }
  return out;
}

/**
 * unitRowsBlock for float16 bits: rows r0 .. r0+rows converted and scaled into `scratch`, the same
 * float32 values unitRowsBlock gives for the converted matrix (the conversion is exact).
 */
export function unitRowsBlockHalf(
  half: Uint16Array,
  r0: number,
  rows: number,
  cols: number,
  scratch: Float32Array,
  scales: Float64Array,
): Float32Array {
  const t = halfTable();
  const out = scratch.subarray(0, rows * cols);
  for (let i = 0; i < rows; i++) {
    const src = (r0 + i) * cols;
    const dst = i * cols;
    const f = scales[r0 + i]!;
    if (f === 1) for (let k = 0; k < cols; k++) out[dst + k] = t[half[src + k]!]!;
    else for (let k = 0; k < cols; k++) out[dst + k] = t[half[src + k]!]! * f;
  }
  return out;
}

/** gatherUnitRows for float16 bits (same values as for the converted matrix). */
export function gatherUnitRowsHalf(
  half: Uint16Array,
  ids: Int32Array,
  from: number,
  count: number,
  cols: number,
  scales: Float64Array,
  out: Float32Array,
): Float32Array {
  const t = halfTable();
  for (let r = 0; r < count; r++) {
    const src = ids[from + r]! * cols;
    const dst = r * cols;
    const f = scales[ids[from + r]!]!;
    if (f === 1) for (let k = 0; k < cols; k++) out[dst + k] = t[half[src + k]!]!;
    else for (let k = 0; k < cols; k++) out[dst + k] = t[half[src + k]!]! * f;
  }
  return out.subarray(0, count * cols);
}
