import type { Matrix } from "../core/types.js";
import { createKeyHeap, type KeyHeap, keyHeapPush, keyHeapSortAscending } from "../linalg/key-heap.js";
import { streamCosineBlocks } from "./cosine-blocks.js";
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
  const m = test.rows;
  const cap = Math.max(0, Math.min(k, train.rows));
  const heaps: KeyHeap[] = [];
  for (let j = 0; j < m; j++) heaps.push(createKeyHeap(cap));
  const sign = options.similarity === true ? -1 : 1;
  const { nearestTest, nearestDistance } = await streamCosineBlocks(train, test, options, (out, r0, rows) => {
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
  });
  const lists: CandidateList[] = heaps.map((h) => {
    keyHeapSortAscending(h);
    return { keys: h.keys.subarray(0, h.size), ids: h.ids.subarray(0, h.size) };
  });
  return { lists, nearestTest, nearestDistance };
}
