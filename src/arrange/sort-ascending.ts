/** Indices 0..n-1 sorted by (values[i], i) ascending: nearest first, ties by the lower index. */
export function sortAscending(values: Float64Array): Int32Array {
  const n = values.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx.sort((a, b) => {
    const va = values[a]!;
    const vb = values[b]!;
    return va < vb ? -1 : va > vb ? 1 : a - b;
  });
}
