/** Mean of all rows (accumulated in float64): the centroid of a rows × cols matrix. */
export function meanRows(data: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let k = 0; k < cols; k++) acc[k]! += data[off + k]!;
  }
  const out = new Float32Array(cols);
  if (rows > 0) for (let k = 0; k < cols; k++) out[k] = acc[k]! / rows;
  return out;
}
