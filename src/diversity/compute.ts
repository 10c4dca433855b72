import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Matrix, TaskIndex } from "../core/types.js";
import { normalizeRows } from "../linalg/normalize-rows.js";
import type { GemmEngine } from "../linalg/types.js";
import { kMeans } from "./kmeans.js";
import { type ClusterSpread, clusterSpread, meanPairwiseCosineDistance, vendiScore } from "./metrics.js";

export interface DiversityOptions {
  /** k-means clusters; default `defaultClusters(n)`. */
  clusters?: number;
  seed?: number;
  /** Lloyd iterations at most (default 50). */
  maxIterations?: number;
  /** k-means stops once an iteration moves at most this share of rows (default 0.001). */
  tolerance?: number;
  gemm: GemmEngine;
  onProgress?: ProgressSink;
}

export interface SetDiversity {
  rows: number;
  /** Rows whose embedding is the zero vector (left out of the Vendi score). */
  zeroRows: number;
  /** Mean over ordered pairs i ≠ j of 1 − cos(u_i, u_j); null below two rows. */
  meanPairwiseCosineDistance: number | null;
  /** exp(entropy of the eigenvalues of K/n), K the cosine-similarity matrix of the non-zero rows. */
  vendi: number;
  /** How the rows spread over the k-means clusters of the whole set. */
  clusters: ClusterSpread;
}

export interface DiversityResult {
  overall: SetDiversity & {
    clusters: ClusterSpread & {
      k: number;
      /** Rows per cluster, in cluster order. */
      sizes: number[];
      iterations: number;
      converged: boolean;
      /** Rows that changed cluster in the last iteration. */
      changed: number;
      inertia: number;
    };
  };
  perTask: Record<string, SetDiversity>;
  timings: Record<string, number>;
}

/** The default k: round(√(n/2)), at least 2 (when n ≥ 2) and at most 1000 and n. */
export function defaultClusters(n: number): number {
  return Math.max(1, Math.min(n, 1000, Math.max(2, Math.round(Math.sqrt(n / 2)))));
}

/**
 * Diversity of a set of embeddings, overall and per task: k-means clusters (one clustering of the whole set;
 * a task's spread is over those clusters), the entropy of the cluster distribution, the mean pairwise cosine
 * distance and the Vendi score. Rows are L2-normalized first (cosine geometry).
 */
export async function computeDiversity(
  m: Matrix,
  tasks: TaskIndex,
  options: DiversityOptions,
): Promise<DiversityResult> {
  const { rows: n, cols: d } = m;
  if (n === 0) throw usageError("the input has no rows", "--input", "pass a non-empty dataset");
  const progress = options.onProgress ?? noProgress;
  const k = options.clusters ?? defaultClusters(n);
  if (!(Number.isSafeInteger(k) && k >= 1))
    throw usageError(
      `--clusters must be a positive integer, got ${k}`,
      "--clusters",
      "pass e.g. --clusters 50",
    );
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const tick = (name: string) => {
    const now = performance.now();
    timings[name] = (now - t0) / 1000;
    t0 = now;
  };
  const x = normalizeRows(m.data, n, d);
  const km = await kMeans({
    x,
    n,
    d,
    k: Math.min(k, n),
    seed: options.seed ?? 0,
    gemm: options.gemm,
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
    onProgress: progress,
  });
  tick("kmeans");

  const zeros = (rows: ArrayLike<number>) => {
    let z = 0;
    for (let r = 0; r < rows.length; r++) {
      const off = rows[r]! * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += x[off + c]! ** 2;
      if (s === 0) z++;
    }
    return z;
  };
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const overallVendi = await vendiScore(x, all, d, options.gemm);
  tick("vendi");
  const overall = {
    rows: n,
    zeroRows: zeros(all),
    meanPairwiseCosineDistance: meanPairwiseCosineDistance(x, all, d),
    vendi: overallVendi,
    clusters: {
      k: km.k,
      ...clusterSpread(km.assign, all, km.k),
      sizes: Array.from(km.sizes),
      iterations: km.iterations,
      converged: km.converged,
      changed: km.changed,
      inertia: km.inertia,
    },
  };

  const members: number[][] = tasks.names.map(() => []);
  for (let i = 0; i < n; i++) members[tasks.taskOf[i]!]!.push(i);
  const perTask: Record<string, SetDiversity> = {};
  for (let t = 0; t < tasks.names.length; t++) {
    const rows = members[t]!;
    perTask[tasks.names[t]!] = {
      rows: rows.length,
      zeroRows: zeros(rows),
      meanPairwiseCosineDistance: meanPairwiseCosineDistance(x, rows, d),
      vendi: await vendiScore(x, rows, d, options.gemm),
      clusters: clusterSpread(km.assign, rows, km.k),
    };
    progress({ stage: "diversity:tasks", done: t + 1, total: tasks.names.length, unit: "tasks" });
  }
  tick("per-task");
  return { overall, perTask, timings };
}
