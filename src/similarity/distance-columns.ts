import type { Matrix } from "../core/types.js";
import { normalizeRows, unitRowsBlock } from "../linalg/normalize-rows.js";
import { foldBlockNearest } from "./block-nearest.js";
import { defaultBlockRows } from "./block-rows.js";
import type { StreamOptions } from "./train-test-aggregates.js";

export interface DistanceColumnsOptions extends StreamOptions {
  /** Store cosine similarity (= −distance) instead of distance, so that ascending means farthest first. */
  similarity?: boolean;
}

export interface DistanceColumns {
  /** columns[j][i] = cosine distance (or similarity) between test row j and training row i. */
  columns: Float32Array[];
  /** Nearest test row of every training row by cosine distance (ties: lowest test row), and the distance. */
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
}

/**
 * The full cosine distance matrix, test-major: one Float32Array of n training distances per test row
 * (n × m × 4 bytes in all; the caller checks that this fits). Filled block by block from
 * Gemm(test, train block) with alpha = −1, which also yields every training row's nearest test row.
 */
export async function cosineDistanceColumns(
  train: Matrix,
  test: Matrix,
  options: DistanceColumnsOptions,
): Promise<DistanceColumns> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  if (test.cols !== d) throw new RangeError(`train has ${d} columns, test has ${test.cols}`);
  const testN = normalizeRows(test.data, m, d);
  const columns: Float32Array[] = [];
  for (let j = 0; j < m; j++) columns.push(new Float32Array(n));
  const nearestDistance = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  const nearestTest = new Int32Array(n);
  const block = Math.max(1, Math.min(n, options.blockRows ?? defaultBlockRows(m)));
  const buf = new Float32Array(block * m);
  const unitScratch = new Float32Array(block * d);
  const stage = options.stage ?? "distances";
  const negate = options.similarity === true;
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    const out = rows === block ? buf : buf.subarray(0, rows * m);
    const trainBlock = unitRowsBlock(train.data, r0, rows, d, unitScratch);
    await options.gemm.multiplyNT(testN, m, trainBlock, rows, d, -1, out);
    foldBlockNearest(out, m, rows, r0, nearestDistance, nearestTest);
    for (let j = 0; j < m; j++) {
      const col = columns[j]!;
      const off = j * rows;
      if (negate) {
        for (let c = 0; c < rows; c++) col[r0 + c] = -out[off + c]!;
      } else {
        col.set(out.subarray(off, off + rows), r0);
      }
    }
    options.onProgress?.({ stage, done: r0 + rows, total: n, unit: "rows" });
  }
  return { columns, nearestTest, nearestDistance };
}
