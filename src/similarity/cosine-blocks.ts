import type { Matrix } from "../core/types.js";
import { normalizeRows, unitRowsBlock } from "../linalg/normalize-rows.js";
import { foldBlockNearest } from "./block-nearest.js";
import { defaultBlockRows } from "./block-rows.js";
import type { StreamOptions } from "./train-test-aggregates.js";

export interface CosineBlockStream {
  /** Nearest test row of every training row by cosine distance (ties: lowest test row), and the distance. */
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
}

/**
 * Stream the test-major cosine distances block by block: for each block of training rows [r0, r0+rows),
 * `visit` gets `out` with out[j*rows + c] = cosine distance between test row j and training row r0+c
 * (valid only during the call). Every training row's nearest test row is folded in on the way.
 */
export async function streamCosineBlocks(
  train: Matrix,
  test: Matrix,
  options: StreamOptions,
  visit: (out: Float32Array, r0: number, rows: number) => void,
): Promise<CosineBlockStream> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  if (test.cols !== d) throw new RangeError(`train has ${d} columns, test has ${test.cols}`);
  const testN = normalizeRows(test.data, m, d);
  const nearestDistance = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  const nearestTest = new Int32Array(n);
  const block = Math.max(1, Math.min(n, options.blockRows ?? defaultBlockRows(m)));
  const buf = new Float32Array(block * m);
  const unitScratch = new Float32Array(block * d);
  const stage = options.stage ?? "distances";
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    const out = rows === block ? buf : buf.subarray(0, rows * m);
    const trainBlock = unitRowsBlock(train.data, r0, rows, d, unitScratch);
    await options.gemm.multiplyNT(testN, m, trainBlock, rows, d, -1, out);
    foldBlockNearest(out, m, rows, r0, nearestDistance, nearestTest);
    visit(out, r0, rows);
    options.onProgress?.({ stage, done: r0 + rows, total: n, unit: "rows" });
  }
  return { nearestTest, nearestDistance };
}
