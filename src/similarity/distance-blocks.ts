import type { Matrix } from "../core/types.js";
import { normalizeRows, unitRowsBlock } from "../linalg/normalize-rows.js";
import { squaredNorms } from "../linalg/squared-norms.js";
import { defaultBlockRows } from "./block-rows.js";
import { squaredEuclidean } from "./euclidean.js";
import type { StreamOptions } from "./train-test-aggregates.js";

export interface DistanceBlock {
  /** First training row of the block. */
  r0: number;
  rows: number;
  /** cosine[r*m + j] = cosine distance (−cos) between training row r0+r and test row j (when requested). */
  cosine?: Float32Array;
  /** euclidean[r*m + j] = L2 distance between training row r0+r and test row j (when requested). */
  euclidean?: Float32Array;
}

/**
 * Stream training-major distance blocks against the whole test set, in training-row order: `visit` gets
 * the cosine and/or Euclidean distances of each block of training rows (valid only during the call).
 * Memory is one block × test rows per measure. Cosine works on unit-normalized rows; Euclidean on the
 * embeddings as given, as sqrt(|x|² + |t|² − 2 x·t), near pairs recomputed directly (`squaredEuclidean`:
 * a training row identical to a test row is exactly 0).
 */
export async function streamDistanceBlocks(
  train: Matrix,
  test: Matrix,
  request: { cosine?: boolean; euclidean?: boolean },
  options: StreamOptions,
  visit: (block: DistanceBlock) => void,
): Promise<void> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  if (test.cols !== d) throw new RangeError(`train has ${d} columns, test has ${test.cols}`);
  const wantCos = request.cosine === true;
  const wantEuc = request.euclidean === true;
  if (n === 0 || m === 0 || !(wantCos || wantEuc)) return;
  const block = Math.max(1, Math.min(n, options.blockRows ?? defaultBlockRows(m)));
  const testN = wantCos ? normalizeRows(test.data, m, d) : undefined;
  const cosBuf = wantCos ? new Float32Array(block * m) : undefined;
  const unitScratch = wantCos ? new Float32Array(block * d) : undefined;
  const eucBuf = wantEuc ? new Float32Array(block * m) : undefined;
  const testSq = wantEuc ? squaredNorms(test.data, m, d) : undefined;
  const trainSq = wantEuc ? new Float64Array(block) : undefined;
  const stage = options.stage ?? "distances";
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    const out: DistanceBlock = { r0, rows };
    if (cosBuf && testN && unitScratch) {
      const c = rows === block ? cosBuf : cosBuf.subarray(0, rows * m);
      const trainBlock = unitRowsBlock(train.data, r0, rows, d, unitScratch);
      await options.gemm.multiplyNT(trainBlock, rows, testN, m, d, -1, c);
      out.cosine = c;
    }
    if (eucBuf && testSq && trainSq) {
      const e = rows === block ? eucBuf : eucBuf.subarray(0, rows * m);
      const rawBlock = train.data.subarray(r0 * d, (r0 + rows) * d);
      squaredNorms(rawBlock, rows, d, trainSq);
      await options.gemm.multiplyNT(rawBlock, rows, test.data, m, d, -2, e);
      for (let r = 0; r < rows; r++) {
        const off = r * m;
        const xx = trainSq[r]!;
        for (let j = 0; j < m; j++) {
          const sq = squaredEuclidean(e[off + j]!, xx, testSq[j]!, rawBlock, r * d, test.data, j * d, d);
          e[off + j] = sq > 0 ? Math.sqrt(sq) : 0;
        }
      }
      out.euclidean = e;
    }
    visit(out);
    options.onProgress?.({ stage, done: r0 + rows, total: n, unit: "rows" });
  }
}
