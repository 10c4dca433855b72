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
 * Rows r0 .. r0+rows of a matrix as unit vectors, for streaming one block at a time: a view of `data`
 * when they already are (within UNIT_NORM_TOLERANCE), else normalized into `scratch` (≥ rows × cols).
 * Zero rows stay zero.
 */
export function unitRowsBlock(
  data: Float32Array,
  r0: number,
  rows: number,
  cols: number,
  scratch: Float32Array,
): Float32Array {
  const view = data.subarray(r0 * cols, (r0 + rows) * cols);
  let unit = true;
  for (let i = 0; i < rows && unit; i++) {
    if (Math.abs(Math.sqrt(rowSquaredNorm(view, i * cols, cols)) - 1) > UNIT_NORM_TOLERANCE) unit = false;
  }
  if (unit) return view;
  const out = scratch.subarray(0, rows * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const norm = Math.sqrt(rowSquaredNorm(view, off, cols));
    const s = norm > 0 ? 1 / norm : 0;
    for (let k = 0; k < cols; k++) out[off + k] = view[off + k]! * s;
  }
  return out;
}
