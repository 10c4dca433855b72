import { rowSquaredNorm } from "./normalize-rows.js";

/** Squared L2 norm of every row (float64), written into `out` when given. */
export function squaredNorms(
  data: Float32Array,
  rows: number,
  cols: number,
  out: Float64Array = new Float64Array(rows),
): Float64Array {
  for (let i = 0; i < rows; i++) out[i] = rowSquaredNorm(data, i * cols, cols);
  return out;
}
