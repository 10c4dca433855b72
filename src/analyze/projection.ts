import type { GemmEngine } from "../linalg/types.js";

/** Rows to show: all when n ≤ limit, else `limit` rows evenly spaced in order (floor(k·n/limit)). */
export function evenlySpaced(n: number, limit: number): number[] {
  if (n <= limit) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: limit }, (_, k) => Math.floor((k * n) / limit));
}

export interface Projection2d {
  /** x[i], y[i] of input row i. */
  x: Float64Array;
  y: Float64Array;
  /** Share of the total variance on each axis. */
  explainedVariance: [number, number];
}

/**
 * PCA to two dimensions: center the rows on their joint mean, form the covariance with one matrix
 * product, and find its top two eigenvectors by power iteration (the second deflated against the first).
 * Deterministic: a fixed start vector, and each axis's largest-magnitude component is made positive.
 */
export async function pca2d(
  rows: Float32Array,
  count: number,
  d: number,
  gemm: GemmEngine,
): Promise<Projection2d> {
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  if (count === 0 || d === 0) return { x, y, explainedVariance: [0, 0] };
  const mean = new Float64Array(d);
  for (let i = 0; i < count; i++) for (let q = 0; q < d; q++) mean[q]! += rows[i * d + q]!;
  for (let q = 0; q < d; q++) mean[q] = mean[q]! / count;
  // Centered rows, transposed (d × count), so that C = Xᵀ X is one A·Aᵀ product.
  const xt = new Float32Array(d * count);
  for (let i = 0; i < count; i++) for (let q = 0; q < d; q++) xt[q * count + i] = rows[i * d + q]! - mean[q]!;
  const cov = await gemm.multiplyNT(xt, d, xt, d, count, 1 / count);
  let trace = 0;
  for (let q = 0; q < d; q++) trace += cov[q * d + q]!;
  const v1 = powerIteration(cov, d, undefined);
  const v2 = powerIteration(cov, d, v1.vector);
  for (let i = 0; i < count; i++) {
    let a = 0;
    let b = 0;
    for (let q = 0; q < d; q++) {
      const c = rows[i * d + q]! - mean[q]!;
      a += c * v1.vector[q]!;
      b += c * v2.vector[q]!;
    }
    x[i] = a;
    y[i] = b;
  }
  const share = (l: number) => (trace > 0 ? Math.max(0, l) / trace : 0);
  return { x, y, explainedVariance: [share(v1.value), share(v2.value)] };
}

function powerIteration(
  cov: Float32Array,
  d: number,
  orthogonalTo: Float64Array | undefined,
): { vector: Float64Array; value: number } {
  let v = new Float64Array(d);
  for (let q = 0; q < d; q++) v[q] = 1 + ((q * 7919) % 101) / 101;
  const project = (u: Float64Array) => {
    if (!orthogonalTo) return;
    let s = 0;
    for (let q = 0; q < d; q++) s += u[q]! * orthogonalTo[q]!;
    for (let q = 0; q < d; q++) u[q]! -= s * orthogonalTo[q]!;
  };
  const normalize = (u: Float64Array): number => {
    let s = 0;
    for (let q = 0; q < d; q++) s += u[q]! * u[q]!;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let q = 0; q < d; q++) u[q] = u[q]! / norm;
    return norm;
  };
  project(v);
  normalize(v);
  let value = 0;
  let w = new Float64Array(d);
  for (let it = 0; it < 300; it++) {
    for (let r = 0; r < d; r++) {
      let s = 0;
      const off = r * d;
      for (let q = 0; q < d; q++) s += cov[off + q]! * v[q]!;
      w[r] = s;
    }
    project(w);
    value = normalize(w);
    if (value === 0) break;
    let diff = 0;
    for (let q = 0; q < d; q++) diff = Math.max(diff, Math.abs(w[q]! - v[q]!));
    [v, w] = [w, v];
    if (diff < 1e-10) break;
  }
  // Sign: largest-magnitude component positive.
  let big = 0;
  for (let q = 1; q < d; q++) if (Math.abs(v[q]!) > Math.abs(v[big]!)) big = q;
  if (v[big]! < 0) for (let q = 0; q < d; q++) v[q] = -v[q]!;
  return { vector: v, value };
}
