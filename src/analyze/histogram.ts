export interface Histogram {
  bins: number;
  min: number;
  max: number;
  mean: number;
  binWidth: number;
  counts: number[];
}

/** Equal-width histogram over [min, max] (the last bin includes max; one bin holds everything when min = max). */
export function histogram(values: Float64Array, bins: number): Histogram {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (values.length === 0) return { bins, min: 0, max: 0, mean: 0, binWidth: 0, counts };
  const width = (max - min) / bins;
  for (const v of values) {
    const b = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0;
    counts[b]! += 1;
  }
  return { bins, min, max, mean: sum / values.length, binWidth: width, counts };
}
