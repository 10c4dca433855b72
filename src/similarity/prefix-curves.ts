import type { Matrix } from "../core/types.js";
import { streamDistanceBlocks } from "./distance-blocks.js";
import type { StreamOptions } from "./train-test-aggregates.js";

/** Embedding curves of one group (a test task, or all test rows): one value per checkpoint. */
export interface EmbeddingCurves {
  cosMin: number[];
  cosMax: number[];
  cosAvg: number[];
  cosCentroid: number[];
  eucMin: number[];
  eucMax: number[];
  eucAvg: number[];
  eucCentroid: number[];
}

export interface PrefixDistances {
  /** Index t < tasks: test task t; index `tasks`: all test rows. */
  groups: EmbeddingCurves[];
  /**
   * The same measures for each checkpoint interval on its own (the rows after the previous checkpoint up
   * to this one), against all test rows.
   */
  window: EmbeddingCurves;
  /** Per training row: cosine-avg (AD) and cosine-min (MD) over the whole test set. */
  ad: Float64Array;
  md: Float64Array;
  /** Per test row: its k nearest training rows (row-major m × k) and their cosine distances; -1 = none. */
  knnIndex: Int32Array;
  knnDistance: Float64Array;
}

/**
 * Distances between every training prefix P_k (k in `checkpoints`) and the test set, overall and per test
 * task, in one streaming pass: each training row's min/max/sum against every test task is folded into
 * running prefix aggregates (O(n·m) distances in all), and a running sum of the training rows gives the
 * prefix centroid. The same pass keeps each test row's k nearest training rows.
 */
export async function prefixDistances(
  train: Matrix,
  test: Matrix,
  testTaskOf: Int32Array,
  tasks: number,
  checkpoints: readonly number[],
  k: number,
  options: StreamOptions,
): Promise<PrefixDistances> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  const G = tasks + 1;
  const taskSize = new Float64Array(G);
  for (let j = 0; j < m; j++) taskSize[testTaskOf[j]!]! += 1;
  taskSize[tasks] = m;
  // Running prefix aggregates per group.
  const cMin = new Float64Array(G).fill(Number.POSITIVE_INFINITY);
  const cMax = new Float64Array(G).fill(Number.NEGATIVE_INFINITY);
  const cSum = new Float64Array(G);
  const eMin = new Float64Array(G).fill(Number.POSITIVE_INFINITY);
  const eMax = new Float64Array(G).fill(Number.NEGATIVE_INFINITY);
  const eSum = new Float64Array(G);
  // Per-row scratch per task.
  const rcMin = new Float64Array(tasks);
  const rcMax = new Float64Array(tasks);
  const rcSum = new Float64Array(tasks);
  const reMin = new Float64Array(tasks);
  const reMax = new Float64Array(tasks);
  const reSum = new Float64Array(tasks);
  const prefixSum = new Float64Array(d);
  // Running aggregates of the current checkpoint interval, against all test rows.
  const windowSum = new Float64Array(d);
  let wcMin = Number.POSITIVE_INFINITY;
  let wcMax = Number.NEGATIVE_INFINITY;
  let wcSum = 0;
  let weMin = Number.POSITIVE_INFINITY;
  let weMax = Number.NEGATIVE_INFINITY;
  let weSum = 0;
  let windowStart = 0;
  const window: EmbeddingCurves = {
    cosMin: [],
    cosMax: [],
    cosAvg: [],
    cosCentroid: [],
    eucMin: [],
    eucMax: [],
    eucAvg: [],
    eucCentroid: [],
  };
  const testMeans = groupMeans(test, testTaskOf, tasks);
  const groups: EmbeddingCurves[] = Array.from({ length: G }, () => ({
    cosMin: [],
    cosMax: [],
    cosAvg: [],
    cosCentroid: [],
    eucMin: [],
    eucMax: [],
    eucAvg: [],
    eucCentroid: [],
  }));
  const ad = new Float64Array(n);
  const md = new Float64Array(n);
  const knnIndex = new Int32Array(m * k).fill(-1);
  const knnDistance = new Float64Array(m * k).fill(Number.POSITIVE_INFINITY);
  let next = 0;

  await streamDistanceBlocks(train, test, { cosine: true, euclidean: true }, options, (block) => {
    const cos = block.cosine!;
    const euc = block.euclidean!;
    for (let r = 0; r < block.rows; r++) {
      const i = block.r0 + r;
      const off = r * m;
      rcMin.fill(Number.POSITIVE_INFINITY);
      rcMax.fill(Number.NEGATIVE_INFINITY);
      rcSum.fill(0);
      reMin.fill(Number.POSITIVE_INFINITY);
      reMax.fill(Number.NEGATIVE_INFINITY);
      reSum.fill(0);
      for (let j = 0; j < m; j++) {
        const t = testTaskOf[j]!;
        const c = cos[off + j]!;
        const e = euc[off + j]!;
        if (c < rcMin[t]!) rcMin[t] = c;
        if (c > rcMax[t]!) rcMax[t] = c;
        rcSum[t]! += c;
        if (e < reMin[t]!) reMin[t] = e;
        if (e > reMax[t]!) reMax[t] = e;
        reSum[t]! += e;
        if (k > 0 && c < knnDistance[j * k + k - 1]!) insertNeighbor(knnIndex, knnDistance, j * k, k, i, c);
      }
      let rowMin = Number.POSITIVE_INFINITY;
      let rowSum = 0;
      let rowMax = Number.NEGATIVE_INFINITY;
      let rowEMin = Number.POSITIVE_INFINITY;
      let rowEMax = Number.NEGATIVE_INFINITY;
      let rowESum = 0;
      for (let t = 0; t < tasks; t++) {
        if (rcMax[t]! > rowMax) rowMax = rcMax[t]!;
        if (reMin[t]! < rowEMin) rowEMin = reMin[t]!;
        if (reMax[t]! > rowEMax) rowEMax = reMax[t]!;
        rowESum += reSum[t]!;
        if (rcMin[t]! < cMin[t]!) cMin[t] = rcMin[t]!;
        if (rcMax[t]! > cMax[t]!) cMax[t] = rcMax[t]!;
        cSum[t]! += rcSum[t]!;
        if (reMin[t]! < eMin[t]!) eMin[t] = reMin[t]!;
        if (reMax[t]! > eMax[t]!) eMax[t] = reMax[t]!;
        eSum[t]! += reSum[t]!;
        if (rcMin[t]! < rowMin) rowMin = rcMin[t]!;
        rowSum += rcSum[t]!;
        if (rcMin[t]! < cMin[tasks]!) cMin[tasks] = rcMin[t]!;
        if (rcMax[t]! > cMax[tasks]!) cMax[tasks] = rcMax[t]!;
        cSum[tasks]! += rcSum[t]!;
        if (reMin[t]! < eMin[tasks]!) eMin[tasks] = reMin[t]!;
        if (reMax[t]! > eMax[tasks]!) eMax[tasks] = reMax[t]!;
        eSum[tasks]! += reSum[t]!;
      }
      ad[i] = rowSum / m;
      md[i] = rowMin;
      if (rowMin < wcMin) wcMin = rowMin;
      if (rowMax > wcMax) wcMax = rowMax;
      wcSum += rowSum;
      if (rowEMin < weMin) weMin = rowEMin;
      if (rowEMax > weMax) weMax = rowEMax;
      weSum += rowESum;
      const xo = i * d;
      for (let q = 0; q < d; q++) {
        const v = train.data[xo + q]!;
        prefixSum[q]! += v;
        windowSum[q]! += v;
      }
      if (i + 1 === checkpoints[next]) {
        const rowsSeen = i + 1;
        const windowRows = rowsSeen - windowStart;
        const allMean = testMeans[tasks]!;
        window.cosMin.push(wcMin);
        window.cosMax.push(wcMax);
        window.cosAvg.push(wcSum / (windowRows * m));
        window.eucMin.push(weMin);
        window.eucMax.push(weMax);
        window.eucAvg.push(weSum / (windowRows * m));
        window.cosCentroid.push(centroidCosine(windowSum, windowRows, allMean));
        window.eucCentroid.push(centroidEuclidean(windowSum, windowRows, allMean));
        wcMin = weMin = Number.POSITIVE_INFINITY;
        wcMax = weMax = Number.NEGATIVE_INFINITY;
        wcSum = weSum = 0;
        windowSum.fill(0);
        windowStart = rowsSeen;
        for (let g = 0; g < G; g++) {
          const curves = groups[g]!;
          const pairs = rowsSeen * taskSize[g]!;
          curves.cosMin.push(cMin[g]!);
          curves.cosMax.push(cMax[g]!);
          curves.cosAvg.push(cSum[g]! / pairs);
          curves.eucMin.push(eMin[g]!);
          curves.eucMax.push(eMax[g]!);
          curves.eucAvg.push(eSum[g]! / pairs);
          const mean = testMeans[g]!;
          curves.cosCentroid.push(centroidCosine(prefixSum, rowsSeen, mean));
          curves.eucCentroid.push(centroidEuclidean(prefixSum, rowsSeen, mean));
        }
        next++;
      }
    }
  });
  return { groups, window, ad, md, knnIndex, knnDistance };
}

/** Insert training row i at distance c into the sorted k-list at `base` (equal distances keep the earlier row first). */
function insertNeighbor(
  idx: Int32Array,
  dist: Float64Array,
  base: number,
  k: number,
  i: number,
  c: number,
): void {
  let p = base + k - 1;
  while (p > base && dist[p - 1]! > c) {
    dist[p] = dist[p - 1]!;
    idx[p] = idx[p - 1]!;
    p--;
  }
  dist[p] = c;
  idx[p] = i;
}

/** Mean embedding (float64) of each test task, and of all test rows at index `tasks`. */
function groupMeans(test: Matrix, taskOf: Int32Array, tasks: number): Float64Array[] {
  const d = test.cols;
  const sums = Array.from({ length: tasks + 1 }, () => new Float64Array(d));
  const counts = new Float64Array(tasks + 1);
  for (let j = 0; j < test.rows; j++) {
    const t = taskOf[j]!;
    counts[t]! += 1;
    counts[tasks]! += 1;
    const a = sums[t]!;
    const all = sums[tasks]!;
    for (let q = 0; q < d; q++) {
      const v = test.data[j * d + q]!;
      a[q]! += v;
      all[q]! += v;
    }
  }
  for (let g = 0; g <= tasks; g++) {
    const c = counts[g]!;
    const s = sums[g]!;
    if (c > 0) for (let q = 0; q < d; q++) s[q] = s[q]! / c;
  }
  return sums;
}

/** −cos(mean of the prefix, test mean); 0 when either is the zero vector. */
function centroidCosine(prefixSum: Float64Array, rows: number, mean: Float64Array): number {
  let dot = 0;
  let pp = 0;
  let mm = 0;
  for (let q = 0; q < mean.length; q++) {
    const p = prefixSum[q]! / rows;
    dot += p * mean[q]!;
    pp += p * p;
    mm += mean[q]! * mean[q]!;
  }
  return pp > 0 && mm > 0 ? -dot / Math.sqrt(pp * mm) : 0;
}

function centroidEuclidean(prefixSum: Float64Array, rows: number, mean: Float64Array): number {
  let s = 0;
  for (let q = 0; q < mean.length; q++) {
    const t = prefixSum[q]! / rows - mean[q]!;
    s += t * t;
  }
  return Math.sqrt(s);
}
