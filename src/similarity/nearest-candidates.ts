import type { Matrix } from "../core/types.js";
import { createKeyHeap, type KeyHeap, keyHeapPush, keyHeapSortAscending } from "../linalg/key-heap.js";
import { normalizeRows, unitRowsBlock } from "../linalg/normalize-rows.js";
import { foldBlockNearest } from "./block-nearest.js";
import { defaultBlockRows } from "./block-rows.js";
import type { DistanceColumnsOptions } from "./distance-columns.js";

export interface CandidateList {
  /** Ascending by (key, training row). */
  keys: Float32Array;
  ids: Int32Array;
}

export interface NearestCandidates {
  /** Per test row: its `k` smallest keys (cosine distance, or similarity with `similarity: true`). */
  lists: CandidateList[];
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
}

/**
 * The k nearest training rows of every test row (by (key, row) so ties go to the lowest row), streaming
 * over training blocks with one bounded heap per test row: m × k × 8 bytes instead of n × m × 4.
 * Also yields every training row's nearest test row.
 */
export async function nearestCandidates(
  train: Matrix,
  test: Matrix,
  k: number,
  options: DistanceColumnsOptions,
): Promise<NearestCandidates> {
  const n = train.rows;
  const m = test.rows;
  const d = train.cols;
  if (test.cols !== d) throw new RangeError(`train has ${d} columns, test has ${test.cols}`);
  const cap = Math.max(0, Math.min(k, n));
  const testN = normalizeRows(test.data, m, d);
  const heaps: KeyHeap[] = [];
  for (let j = 0; j < m; j++) heaps.push(createKeyHeap(cap));
  const nearestDistance = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  const nearestTest = new Int32Array(n);
  const block = Math.max(1, Math.min(n, options.blockRows ?? defaultBlockRows(m)));
  const buf = new Float32Array(block * m);
  const unitScratch = new Float32Array(block * d);
  const stage = options.stage ?? "distances";
  const sign = options.similarity === true ? -1 : 1;
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    const out = rows === block ? buf : buf.subarray(0, rows * m);
    const trainBlock = unitRowsBlock(train.data, r0, rows, d, unitScratch);
    await options.gemm.multiplyNT(testN, m, trainBlock, rows, d, -1, out);
    foldBlockNearest(out, m, rows, r0, nearestDistance, nearestTest);
    for (let j = 0; j < m; j++) {
      const h = heaps[j]!;
      const off = j * rows;
      for (let c = 0; c < rows; c++) {
        const v = sign * out[off + c]!;
        // Training rows arrive in ascending order, so an equal key never beats the kept one.
        if (h.size === cap && !(v < h.keys[0]!)) continue;
        keyHeapPush(h, v, r0 + c);
      }
    }
    options.onProgress?.({ stage, done: r0 + rows, total: n, unit: "rows" });
  }
  const lists: CandidateList[] = heaps.map((h) => {
    keyHeapSortAscending(h);
    return { keys: h.keys.subarray(0, h.size), ids: h.ids.subarray(0, h.size) };
  });
  return { lists, nearestTest, nearestDistance };
}
