/**
 * Mean row of each group: `groupOf[i]` in [0, groups) is the group of row i. Returns a groups × cols
 * matrix (float64 accumulation); a group with no rows gets a zero row.
 */
export function groupMeans(
  data: Float32Array,
  rows: number,
  cols: number,
  groupOf: Int32Array,
  groups: number,
): Float32Array {
  const acc = new Float64Array(groups * cols);
  const count = new Float64Array(groups);
  for (let i = 0; i < rows; i++) {
    const g = groupOf[i]!;
    if (!(g >= 0 && g < groups))
      throw new RangeError(`groupMeans: row ${i} has group ${g}, expected 0..${groups - 1}`);
    count[g]! += 1;
    const off = i * cols;
    const goff = g * cols;
    for (let k = 0; k < cols; k++) acc[goff + k]! += data[off + k]!;
  }
  const out = new Float32Array(groups * cols);
  for (let g = 0; g < groups; g++) {
    const c = count[g]!;
    if (c === 0) continue;
    for (let k = 0; k < cols; k++) out[g * cols + k] = acc[g * cols + k]! / c;
  }
  return out;
}
