import type { ProgressSink } from "../core/progress.js";
import type { Aggregate, Matrix } from "../core/types.js";
import { meanRows } from "../linalg/mean-rows.js";
import { normalizeRows, rowSquaredNorm, unitRowsBlock } from "../linalg/normalize-rows.js";
import { squaredNorms } from "../linalg/squared-norms.js";
import type { GemmEngine } from "../linalg/types.js";
import { defaultBlockRows } from "./block-rows.js";
import { squaredEuclidean } from "./euclidean.js";

export interface AggregateRequest {
  /** Aggregates of the cosine distance (negative cosine similarity) over the test set. */
  cosine?: readonly Aggregate[];
  /** Aggregates of the Euclidean (L2) distance over the test set. */
  euclidean?: readonly Aggregate[];
  /** Also find every training row's nearest test row by cosine distance (ties: lowest test row). */
  nearest?: boolean;
}

export interface StreamOptions {
  gemm: GemmEngine;
  /** Training rows per block (default: defaultBlockRows(test rows)). */
  blockRows?: number;
  onProgress?: ProgressSink;
  /** Progress stage name (default "distances"). */
  stage?: string;
}

export interface TrainTestAggregates {
  cosine: Partial<Record<Aggregate, Float64Array>>;
  euclidean: Partial<Record<Aggregate, Float64Array>>;
  nearestTest?: Int32Array;
  nearestDistance?: Float32Array;
  /** Things the caller should tell the user (e.g. a zero-length test centroid). */
  warnings: string[];
}

/**
 * Distance aggregates of every training row against the whole test set, streaming over blocks of
 * training rows: memory is one block × test-rows of distances, never train × test. Only what is
 * requested is computed (centroid measures need no matrix product). Sums are in float64; the
 * products themselves are float32 (the engine's).
 *
 * Cosine works on unit-normalized rows (a training block is copied only when its rows are not unit
 * already; the test set once); Euclidean on the
 * embeddings as given, as sqrt(|x|² + |t|² − 2 x·t) with near pairs recomputed directly (`squaredEuclidean`:
 * a training row identical to a test row is exactly 0). Centroid = distance to the mean of the test
 * embeddings as given (for cosine: negative cosine with that mean vector).
 */
export async function trainTestAggregates(
  train: Matrix,
  test: Matrix,
  request: AggregateRequest,
  options: StreamOptions,
): Promise<TrainTestAggregates> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  if (test.cols !== d) throw new RangeError(`train has ${d} columns, test has ${test.cols}`);
  const cosAgg = new Set(request.cosine ?? []);
  const eucAgg = new Set(request.euclidean ?? []);
  const nearest = request.nearest === true;
  const result: TrainTestAggregates = { cosine: {}, euclidean: {}, warnings: [] };
  const needCos =
    nearest || cosAgg.has("min") || cosAgg.has("max") || cosAgg.has("avg") || cosAgg.has("centroid");
  const cosMatrix = nearest || cosAgg.has("min") || cosAgg.has("max") || cosAgg.has("avg");
  const eucMatrix = eucAgg.has("min") || eucAgg.has("max") || eucAgg.has("avg");

  const testN = needCos ? normalizeRows(test.data, m, d) : test.data;

  const alloc = (on: boolean) => (on ? new Float64Array(n) : undefined);
  const cMin = alloc(cosAgg.has("min"));
  const cMax = alloc(cosAgg.has("max"));
  const cAvg = alloc(cosAgg.has("avg"));
  const eMin = alloc(eucAgg.has("min"));
  const eMax = alloc(eucAgg.has("max"));
  const eAvg = alloc(eucAgg.has("avg"));
  const nearTest = nearest ? new Int32Array(n) : undefined;
  const nearDist = nearest ? new Float32Array(n) : undefined;

  if (cosAgg.has("centroid") || eucAgg.has("centroid")) {
    const centroid = meanRows(test.data, m, d);
    if (cosAgg.has("centroid")) {
      const cNorm = Math.sqrt(rowSquaredNorm(centroid, 0, d));
      if (!(cNorm > 0)) {
        result.warnings.push(
          "the mean test embedding is the zero vector; cosine centroid distances are all 0",
        );
      }
      result.cosine.centroid = centroidCosine(train.data, n, d, centroid, cNorm);
    }
    if (eucAgg.has("centroid")) result.euclidean.centroid = centroidEuclidean(train.data, n, d, centroid);
  }

  if (cosMatrix || eucMatrix) {
    const block = Math.max(1, Math.min(n, options.blockRows ?? defaultBlockRows(m)));
    const buf = new Float32Array(block * m);
    const unitScratch = cosMatrix ? new Float32Array(block * d) : undefined;
    const testSq = eucMatrix ? squaredNorms(test.data, m, d) : undefined;
    const trainSq = eucMatrix ? new Float64Array(block) : undefined;
    const stage = options.stage ?? "distances";
    for (let r0 = 0; r0 < n; r0 += block) {
      const rows = Math.min(block, n - r0);
      const out = rows === block ? buf : buf.subarray(0, rows * m);
      if (cosMatrix) {
        const trainBlock = unitRowsBlock(train.data, r0, rows, d, unitScratch!);
        await options.gemm.multiplyNT(trainBlock, rows, testN, m, d, -1, out);
        for (let r = 0; r < rows; r++) {
          const off = r * m;
          let min = Number.POSITIVE_INFINITY;
          let arg = 0;
          let max = Number.NEGATIVE_INFINITY;
          let sum = 0;
          for (let j = 0; j < m; j++) {
            const v = out[off + j]!;
            if (v < min) {
              min = v;
              arg = j;
            }
            if (v > max) max = v;
            sum += v;
          }
          const i = r0 + r;
          if (cMin) cMin[i] = min;
          if (cMax) cMax[i] = max;
          if (cAvg) cAvg[i] = sum / m;
          if (nearTest && nearDist) {
            nearTest[i] = arg;
            nearDist[i] = min;
          }
        }
      }
      if (eucMatrix && testSq && trainSq) {
        const rawBlock = train.data.subarray(r0 * d, (r0 + rows) * d);
        squaredNorms(rawBlock, rows, d, trainSq);
        await options.gemm.multiplyNT(rawBlock, rows, test.data, m, d, -2, out);
        for (let r = 0; r < rows; r++) {
          const off = r * m;
          const xx = trainSq[r]!;
          let min = Number.POSITIVE_INFINITY;
          let max = Number.NEGATIVE_INFINITY;
          let sum = 0;
          for (let j = 0; j < m; j++) {
            const sq = squaredEuclidean(out[off + j]!, xx, testSq[j]!, rawBlock, r * d, test.data, j * d, d);
            if (sq < min) min = sq;
            if (sq > max) max = sq;
            if (eAvg) sum += Math.sqrt(sq);
          }
          const i = r0 + r;
          if (eMin) eMin[i] = Math.sqrt(min);
          if (eMax) eMax[i] = Math.sqrt(max);
          if (eAvg) eAvg[i] = sum / m;
        }
      }
      options.onProgress?.({ stage, done: r0 + rows, total: n, unit: "rows" });
    }
  }
  if (cMin) result.cosine.min = cMin;
  if (cMax) result.cosine.max = cMax;
  if (cAvg) result.cosine.avg = cAvg;
  if (eMin) result.euclidean.min = eMin;
  if (eMax) result.euclidean.max = eMax;
  if (eAvg) result.euclidean.avg = eAvg;
  if (nearTest && nearDist) {
    result.nearestTest = nearTest;
    result.nearestDistance = nearDist;
  }
  return result;
}

/** −cos(x_i, c); 0 when x_i or the centroid is the zero vector. */
function centroidCosine(
  train: Float32Array,
  n: number,
  d: number,
  c: Float32Array,
  cNorm: number,
): Float64Array {
  const out = new Float64Array(n);
  if (!(cNorm > 0)) return out;
  for (let i = 0; i < n; i++) {
    const off = i * d;
    let s = 0;
    let xx = 0;
    for (let k = 0; k < d; k++) {
      const x = train[off + k]!;
      s += x * c[k]!;
      xx += x * x;
    }
    out[i] = xx > 0 ? -s / (Math.sqrt(xx) * cNorm) : 0;
  }
  return out;
}

function centroidEuclidean(train: Float32Array, n: number, d: number, c: Float32Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * d;
    let s = 0;
    for (let k = 0; k < d; k++) {
      const t = train[off + k]! - c[k]!;
      s += t * t;
    }
    out[i] = Math.sqrt(s);
  }
  return out;
}
