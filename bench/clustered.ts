/**
 * Clustered random unit vectors for benchmarks: points scattered around centres, so nearest-neighbour
 * structure (shared neighbours, collisions between test points) resembles sentence embeddings of tasks.
 * A fast xorshift generator with approximately Gaussian noise (sum of four uniforms) keeps 1M × 384
 * generation to a few seconds.
 */
export function createUniform(seed: number): () => number {
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Approximately standard normal noise: Irwin–Hall(4) − 2 has variance 1/3, scaled to variance 1. */
export function createNoise(seed: number): () => number {
  const u = createUniform(seed);
  return () => (u() + u() + u() + u() - 2) * 1.7320508075688772;
}

/** k unit centres in d dimensions (random directions, nearly orthogonal in high dimensions). */
export function randomCentres(k: number, d: number, seed: number): Float32Array {
  const g = createNoise(seed);
  const c = new Float32Array(k * d);
  for (let i = 0; i < k; i++) {
    let norm = 0;
    for (let t = 0; t < d; t++) {
      const v = g();
      c[i * d + t] = v;
      norm += v * v;
    }
    const s = 1 / Math.sqrt(norm);
    for (let t = 0; t < d; t++) c[i * d + t]! *= s;
  }
  return c;
}

/**
 * rows unit vectors: row i = normalize(centre[c] + noise), with c drawn with weight ∝ 1/(c+1)^skew
 * (skewed task sizes) and noise of total norm ≈ `spread` (spread 0.8 gives within-cluster cosine ≈ 0.6).
 */
export function clusteredRows(
  rows: number,
  centres: Float32Array,
  d: number,
  opts: { spread: number; seed: number; skew?: number },
): Float32Array {
  const k = centres.length / d;
  const g = createNoise(opts.seed);
  const pick = createUniform(opts.seed + 1);
  const skew = opts.skew ?? 0;
  const cdf = new Float64Array(k);
  let acc = 0;
  for (let c = 0; c < k; c++) {
    acc += 1 / (c + 1) ** skew;
    cdf[c] = acc;
  }
  const sigma = opts.spread / Math.sqrt(d);
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const r = pick() * acc;
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    const off = lo * d;
    let norm = 0;
    for (let t = 0; t < d; t++) {
      const v = centres[off + t]! + sigma * g();
      out[i * d + t] = v;
      norm += v * v;
    }
    const s = 1 / Math.sqrt(norm);
    for (let t = 0; t < d; t++) out[i * d + t]! *= s;
  }
  return out;
}

/**
 * A train/test pair like instruction tuning with held-out tasks: `trainClusters` training tasks of
 * skewed sizes; the test set comes from `testClusters` unseen tasks, each related (cosine ≈ 0.7) to a
 * training task. `testSpread` (default 0.8, like training tasks) sets how alike a test task's points
 * are; near 0 they are near-duplicates (one template), which makes test points collide in TMA rounds.
 */
export function benchData(
  n: number,
  m: number,
  d: number,
  opts: { trainClusters: number; testClusters: number; seed: number; testSpread?: number },
): { train: Float32Array; test: Float32Array } {
  const centres = randomCentres(opts.trainClusters, d, opts.seed);
  const fresh = randomCentres(opts.testClusters, d, opts.seed + 7);
  const testCentres = new Float32Array(opts.testClusters * d);
  for (let c = 0; c < opts.testClusters; c++) {
    const base = (c * 7919) % opts.trainClusters;
    let norm = 0;
    for (let t = 0; t < d; t++) {
      const v = 0.7 * centres[base * d + t]! + 0.7 * fresh[c * d + t]!;
      testCentres[c * d + t] = v;
      norm += v * v;
    }
    for (let t = 0; t < d; t++) testCentres[c * d + t]! /= Math.sqrt(norm);
  }
  return {
    train: clusteredRows(n, centres, d, { spread: 0.8, seed: opts.seed + 1, skew: 0.5 }),
    test: clusteredRows(m, testCentres, d, { spread: opts.testSpread ?? 0.8, seed: opts.seed + 2 }),
  };
}
