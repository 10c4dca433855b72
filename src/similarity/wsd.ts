/** |mean(MD)| below this makes the WSD weight meaningless; w falls back to 1. */
export const WSD_DEGENERATE_EPSILON = 1e-12;

export interface WsdResult {
  /** WSD_i = AD_i + w · MD_i. */
  values: Float64Array;
  /** w = |mean(AD) / mean(MD)| (paper Eq. 1 with w_avg = 1 and w_min from Eq. 14). */
  weight: number;
  /** True when mean(MD) was ~0 and w was set to 1 instead. */
  degenerate: boolean;
}

/**
 * Weighted Similarity Distance from the cosine-avg (AD) and cosine-min (MD) distances of each unit.
 * The weight scales MD to the magnitude of AD (paper Eq. 14: both terms get "the same magnitude"), so it
 * is the absolute value of the ratio of the means: with centred or signed embeddings mean(AD) can be
 * positive while mean(MD) is negative, and a signed ratio would then make being nearer the test set
 * (a smaller MD) raise WSD, reversing nearest-first. Sums are in float64.
 */
export function weightedSimilarityDistance(ad: Float64Array, md: Float64Array): WsdResult {
  const n = ad.length;
  if (md.length !== n) throw new RangeError(`wsd: AD has ${n} values, MD has ${md.length}`);
  let sumAd = 0;
  let sumMd = 0;
  for (let i = 0; i < n; i++) {
    sumAd += ad[i]!;
    sumMd += md[i]!;
  }
  const meanAd = n > 0 ? sumAd / n : 0;
  const meanMd = n > 0 ? sumMd / n : 0;
  const degenerate = !(Math.abs(meanMd) > WSD_DEGENERATE_EPSILON);
  const weight = degenerate ? 1 : Math.abs(meanAd / meanMd);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = ad[i]! + weight * md[i]!;
  return { values, weight, degenerate };
}
