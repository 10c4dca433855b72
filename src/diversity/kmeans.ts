import { ArrangeError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { createRng, type Rng } from "../core/rng.js";
import { squaredNorms } from "../linalg/squared-norms.js";
import type { GemmEngine } from "../linalg/types.js";

export interface KMeansOptions {
  /** Rows to cluster, n × d row-major (the diversity metrics pass unit rows). */
  x: Float32Array;
  n: number;
  d: number;
  /** Clusters wanted; fewer are returned when there are fewer distinct rows. */
  k: number;
  seed: number;
  gemm: GemmEngine;
  /** Lloyd iterations at most (default 50). */
  maxIterations?: number;
  /**
   * Stop once an iteration changes the cluster of at most this share of the rows (default 0.001; 0 = run until
   * no row changes). The tail of Lloyd's algorithm moves a few rows per iteration for little gain.
   */
  tolerance?: number;
  onProgress?: ProgressSink;
}

export interface KMeansResult {
  /** Centers found (≤ k). */
  k: number;
  /** Cluster of every row. */
  assign: Int32Array;
  /** Rows per cluster. */
  sizes: Int32Array;
  /** k × d centers. */
  centers: Float32Array;
  /** Lloyd iterations run. */
  iterations: number;
  /** True when the last iteration changed no assignment. */
  converged: boolean;
  /** Rows whose cluster changed in the last iteration. */
  changed: number;
  /** Sum of squared Euclidean distances of the rows to their centers. */
  inertia: number;
}

/** Refused draws in a row with no pending center before k-means++ seeding stops (see the loop). */
const MAX_REJECTIONS = 10_000;

function nonFiniteRows(stale: Float64Array, n: number): ArrangeError {
  let row = 0;
  while (row < n && Number.isFinite(stale[row]!)) row++;
  return new ArrangeError(
    "embeddings",
    `row ${row + 1} (index ${row}) has no finite distance to the other rows: its embedding holds NaN or Infinity`,
    { line: row + 1, fix: "re-embed the data, or drop the rows whose embeddings hold NaN or Infinity" },
  );
}

/** A uniform double in [0, 1) with 53 random bits. */
function uniform(rng: Rng): number {
  return (rng.int(2 ** 26) * 2 ** 27 + rng.int(2 ** 27)) / 2 ** 53;
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007): the first center uniform, each next one drawn with
 * probability ∝ D(x)², the squared distance to the nearest center so far. Exact D² sampling without a full
 * pass per center: rows are proposed ∝ a stale D² (an upper bound, refreshed for all rows by one matrix product
 * every `batch` centers) and accepted with probability D²/stale D², where D² is brought up to date against the
 * centers added since the refresh. Stops early when every row coincides with a center.
 */
export async function kMeansPlusPlus(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  rng: Rng,
  gemm: GemmEngine,
  norms: Float64Array,
  batch = 16,
): Promise<number[]> {
  const chosen: number[] = [rng.int(n)];
  const stale = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const cum = new Float64Array(n);
  let pendingFrom = 0;
  let total = 0;
  const block = Math.max(1, Math.floor(4_000_000 / batch));
  const centers = new Float32Array(batch * d);
  const apply = async () => {
    const p = chosen.length - pendingFrom;
    for (let q = 0; q < p; q++) {
      const c = chosen[pendingFrom + q]!;
      centers.set(x.subarray(c * d, (c + 1) * d), q * d);
    }
    const out = new Float32Array(Math.min(block, n) * p);
    for (let r0 = 0; r0 < n; r0 += block) {
      const rows = Math.min(block, n - r0);
      const dots = await gemm.multiplyNT(
        x.subarray(r0 * d, (r0 + rows) * d),
        rows,
        centers.subarray(0, p * d),
        p,
        d,
        1,
        out.subarray(0, rows * p),
      );
      for (let i = 0; i < rows; i++) {
        let best = stale[r0 + i]!;
        for (let q = 0; q < p; q++) {
          const c = chosen[pendingFrom + q]!;
          const d2 = Math.max(0, norms[r0 + i]! + norms[c]! - 2 * dots[i * p + q]!);
          if (d2 < best) best = d2;
        }
        stale[r0 + i] = best;
      }
    }
    for (let q = 0; q < p; q++) stale[chosen[pendingFrom + q]!] = 0;
    pendingFrom = chosen.length;
    total = 0;
    for (let i = 0; i < n; i++) {
      total += stale[i]!;
      cum[i] = total;
    }
  };
  await apply();
  let rejections = 0;
  while (chosen.length < k && total > 0) {
    // A NaN or infinite D² (a row with NaN or ±Infinity) keeps `total` infinite: the loop could never end.
    if (!Number.isFinite(total)) throw nonFiniteRows(stale, n);
    const r = uniform(rng) * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    const i = lo;
    let d2 = stale[i]!;
    for (let q = pendingFrom; q < chosen.length && d2 > 0; q++) {
      const c = chosen[q]!;
      let dot = 0;
      for (let t = 0; t < d; t++) dot += x[i * d + t]! * x[c * d + t]!;
      d2 = Math.min(d2, Math.max(0, norms[i]! + norms[c]! - 2 * dot));
    }
    if (d2 > 0 && uniform(rng) * stale[i]! < d2) {
      chosen.push(i);
      rejections = 0;
      if (chosen.length - pendingFrom >= batch) await apply();
    } else if (++rejections > 64 && chosen.length > pendingFrom) {
      rejections = 0;
      await apply();
    } else if (rejections > MAX_REJECTIONS) {
      // Nothing is pending, so D² is exact and a draw can only be refused through round-off on rows that
      // coincide with a center: the rows left are (numerically) the centers. Never spin.
      break;
    }
  }
  return chosen;
}

/**
 * Seeded k-means (Lloyd's algorithm, squared Euclidean) with k-means++ seeding. Assignments use matrix
 * products: argmin ‖x − c‖² = argmax (x·c − ‖c‖²/2), ties to the lower cluster index. An empty cluster keeps
 * its previous center. Deterministic for a seed and matrix engine.
 */
export async function kMeans(o: KMeansOptions): Promise<KMeansResult> {
  const { x, n, d, gemm } = o;
  const progress = o.onProgress ?? noProgress;
  if (!(Number.isSafeInteger(o.k) && o.k >= 1))
    throw new ArrangeError("usage", `--clusters must be a positive integer, got ${o.k}`, {
      option: "--clusters",
    });
  if (n === 0) throw new ArrangeError("input", "k-means needs at least one row");
  const maxIterations = o.maxIterations ?? 50;
  const tolerance = o.tolerance ?? 0.001;
  if (!(tolerance >= 0 && tolerance < 1))
    throw new ArrangeError("usage", `--tolerance must be in [0, 1), got ${tolerance}`, {
      option: "--tolerance",
    });
  const norms = squaredNorms(x, n, d);
  const seeds = await kMeansPlusPlus(
    x,
    n,
    d,
    Math.min(o.k, n),
    createRng(o.seed).fork("kmeans++"),
    gemm,
    norms,
  );
  const k = seeds.length;
  const centers = new Float32Array(k * d);
  seeds.forEach((s, c) => {
    centers.set(x.subarray(s * d, (s + 1) * d), c * d);
  });
  const assign = new Int32Array(n).fill(-1);
  const sizes = new Int32Array(k);
  const cnorm = new Float64Array(k);
  const sums = new Float64Array(k * d);
  const block = Math.max(1, Math.floor(4_000_000 / k));
  const out = new Float32Array(Math.min(block, n) * k);
  let iterations = 0;
  let converged = false;
  let inertia = 0;
  let changed = 0;
  for (let it = 0; it < maxIterations; it++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += centers[c * d + t]! ** 2;
      cnorm[c] = s;
    }
    changed = 0;
    inertia = 0;
    for (let r0 = 0; r0 < n; r0 += block) {
      const rows = Math.min(block, n - r0);
      const dots = await gemm.multiplyNT(
        x.subarray(r0 * d, (r0 + rows) * d),
        rows,
        centers,
        k,
        d,
        1,
        out.subarray(0, rows * k),
      );
      for (let i = 0; i < rows; i++) {
        let best = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < k; c++) {
          const s = dots[i * k + c]! - cnorm[c]! / 2;
          if (s > bestScore) {
            bestScore = s;
            best = c;
          }
        }
        inertia += Math.max(0, norms[r0 + i]! - 2 * bestScore);
        if (assign[r0 + i] !== best) {
          assign[r0 + i] = best;
          changed++;
        }
      }
    }
    iterations = it + 1;
    progress({ stage: "kmeans", done: iterations, total: maxIterations, unit: "iterations" });
    converged = changed === 0;
    if (changed <= tolerance * n) break;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i]!;
      sizes[c]!++;
      const off = i * d;
      const cOff = c * d;
      for (let t = 0; t < d; t++) sums[cOff + t]! += x[off + t]!;
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) continue;
      const inv = 1 / sizes[c]!;
      for (let t = 0; t < d; t++) centers[c * d + t] = sums[c * d + t]! * inv;
    }
  }
  sizes.fill(0);
  for (let i = 0; i < n; i++) sizes[assign[i]!]!++;
  return { k, assign, sizes, centers, iterations, converged, changed, inertia };
}
