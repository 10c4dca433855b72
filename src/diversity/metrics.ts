import type { GemmEngine } from "../linalg/types.js";
import { symmetricEigenvalues } from "./eigen.js";

/**
 * Diversity measures of a set of embeddings. Rows are taken as unit vectors (the caller normalizes); a zero
 * row (e.g. a text with no word characters under `ngram`) has cosine similarity 0 with everything.
 */

/**
 * Mean cosine distance 1 − cos(u_i, u_j) over ordered pairs i ≠ j, exact in O(n·d): with S = Σ u_i,
 * Σ_{i≠j} cos(u_i, u_j) = ‖S‖² − Σ‖u_i‖², so the mean is 1 − (‖S‖² − Σ‖u_i‖²) / (n(n − 1)).
 * Undefined (null) below two rows.
 */
export function meanPairwiseCosineDistance(
  x: Float32Array,
  rows: ArrayLike<number>,
  d: number,
): number | null {
  const n = rows.length;
  if (n < 2) return null;
  const sum = new Float64Array(d);
  let self = 0;
  for (let r = 0; r < n; r++) {
    const off = rows[r]! * d;
    for (let k = 0; k < d; k++) {
      const v = x[off + k]!;
      sum[k]! += v;
      self += v * v;
    }
  }
  let s2 = 0;
  for (let k = 0; k < d; k++) s2 += sum[k]! ** 2;
  return 1 - (s2 - self) / (n * (n - 1));
}

/** Shannon entropy (nats) of a distribution given by non-negative weights (normalized here). */
export function entropy(weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  if (!(total > 0)) return 0;
  let h = 0;
  for (let i = 0; i < weights.length; i++) {
    const p = weights[i]! / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * The Vendi score (Friedman & Dieng 2023) with the cosine-similarity kernel: exp of the Shannon entropy of the
 * eigenvalues of K/n, K_ij = cos(u_i, u_j), over the non-zero rows. Exact; K/n = X Xᵀ/n and the d × d matrix
 * Xᵀ X/n have the same non-zero eigenvalues, so the smaller of the two is decomposed (min(n, d)³ work).
 * Ranges from 1 (all rows the same direction) to min(n, d) (orthogonal rows). 0 for an empty set.
 */
export async function vendiScore(
  x: Float32Array,
  rows: ArrayLike<number>,
  d: number,
  gemm: GemmEngine,
): Promise<number> {
  const kept: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    const off = rows[r]! * d;
    let s = 0;
    for (let k = 0; k < d; k++) s += x[off + k]! ** 2;
    if (s > 0) kept.push(rows[r]!);
  }
  const n = kept.length;
  if (n === 0) return 0;
  let gram: Float64Array;
  let size: number;
  if (n <= d) {
    const a = new Float32Array(n * d);
    kept.forEach((row, i) => {
      a.set(x.subarray(row * d, (row + 1) * d), i * d);
    });
    const g = await gemm.multiplyNT(a, n, a, n, d);
    gram = Float64Array.from(g);
    size = n;
  } else {
    // Σ over blocks of rows of X_bᵀ X_b: transpose a block to d × b and multiply it with itself.
    size = d;
    gram = new Float64Array(d * d);
    const block = Math.max(1, Math.min(n, 2048));
    const t = new Float32Array(d * block);
    const g = new Float32Array(d * d);
    for (let r0 = 0; r0 < n; r0 += block) {
      const b = Math.min(block, n - r0);
      for (let i = 0; i < b; i++) {
        const off = kept[r0 + i]! * d;
        for (let k = 0; k < d; k++) t[k * b + i] = x[off + k]!;
      }
      await gemm.multiplyNT(t.subarray(0, d * b), d, t.subarray(0, d * b), d, b, 1, g);
      for (let q = 0; q < d * d; q++) gram[q]! += g[q]!;
    }
  }
  // Symmetrize (the engine's rounding may differ in the two triangles); eigenvalues of K/n, clamped at 0.
  for (let i = 0; i < size; i++)
    for (let j = 0; j < i; j++) {
      const v = (gram[i * size + j]! + gram[j * size + i]!) / 2;
      gram[i * size + j] = v;
      gram[j * size + i] = v;
    }
  const ev = symmetricEigenvalues(gram, size);
  for (let i = 0; i < ev.length; i++) ev[i] = Math.max(0, ev[i]!);
  return Math.exp(entropy(ev));
}

/** How rows spread over clusters: clusters used, entropy (nats), entropy / ln(max possible), exp(entropy). */
export interface ClusterSpread {
  used: number;
  entropy: number;
  /** entropy / ln(min(k, rows)); 1 = as even as possible; 0 with one cluster or row. */
  normalizedEntropy: number;
  /** exp(entropy): the number of equally sized clusters with the same entropy. */
  effective: number;
}

export function clusterSpread(assign: ArrayLike<number>, rows: ArrayLike<number>, k: number): ClusterSpread {
  const counts = new Float64Array(k);
  for (let r = 0; r < rows.length; r++) counts[assign[rows[r]!]!]!++;
  let used = 0;
  for (let c = 0; c < k; c++) if (counts[c]! > 0) used++;
  const h = entropy(counts);
  const cap = Math.min(k, rows.length);
  return { used, entropy: h, normalizedEntropy: cap > 1 ? h / Math.log(cap) : 0, effective: Math.exp(h) };
}
