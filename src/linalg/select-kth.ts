/**
 * The k-th smallest (0-based) of values[0..count), by quickselect (median-of-three pivots, Hoare
 * partitioning) on `scratch` (≥ count), which is overwritten; `values` is left as it was. NaN must not
 * occur. O(count) on average.
 */
export function selectKth(values: Float32Array, count: number, k: number, scratch: Float32Array): number {
  if (!(k >= 0 && k < count)) throw new RangeError(`selectKth: k=${k} outside 0..${count - 1}`);
  const a = scratch;
  a.set(values.subarray(0, count));
  let lo = 0;
  let hi = count - 1;
  while (hi > lo) {
    if (hi - lo < 16) {
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i]!;
        let j = i - 1;
        while (j >= lo && a[j]! > v) {
          a[j + 1] = a[j]!;
          j--;
        }
        a[j + 1] = v;
      }
      return a[k]!;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot.
    let x = a[lo]!;
    let y = a[mid]!;
    let z = a[hi]!;
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot, a[i..hi] ≥ pivot, and a[j+1..i-1] = pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return pivot;
  }
  return a[k]!;
}
