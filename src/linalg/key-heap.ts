/**
 * A bounded max-heap of (key, id) pairs ordered lexicographically (key first, then id), used to keep the
 * `capacity` smallest pairs seen (top-k with deterministic ties: equal keys prefer the lower id).
 * keys[0], ids[0] is the largest pair kept.
 */
export interface KeyHeap {
  keys: Float32Array;
  ids: Int32Array;
  size: number;
}

export function createKeyHeap(capacity: number): KeyHeap {
  return { keys: new Float32Array(capacity), ids: new Int32Array(capacity), size: 0 };
}

/** (k1, i1) > (k2, i2) lexicographically. */
function greater(k1: number, i1: number, k2: number, i2: number): boolean {
  return k1 > k2 || (k1 === k2 && i1 > i2);
}

/** Offers a pair: kept when the heap is not full or the pair is smaller than the largest kept. */
export function keyHeapPush(h: KeyHeap, key: number, id: number): void {
  const { keys, ids } = h;
  const cap = keys.length;
  if (h.size < cap) {
    // sift up
    let c = h.size++;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (!greater(key, id, keys[p]!, ids[p]!)) break;
      keys[c] = keys[p]!;
      ids[c] = ids[p]!;
      c = p;
    }
    keys[c] = key;
    ids[c] = id;
    return;
  }
  if (cap === 0 || !greater(keys[0]!, ids[0]!, key, id)) return;
  siftDown(keys, ids, h.size, 0, key, id);
}

/** Places (key, id) at position `at` and sifts it down within the first `size` entries. */
function siftDown(
  keys: Float32Array,
  ids: Int32Array,
  size: number,
  at: number,
  key: number,
  id: number,
): void {
  let p = at;
  for (;;) {
    let c = 2 * p + 1;
    if (c >= size) break;
    if (c + 1 < size && greater(keys[c + 1]!, ids[c + 1]!, keys[c]!, ids[c]!)) c++;
    if (!greater(keys[c]!, ids[c]!, key, id)) break;
    keys[p] = keys[c]!;
    ids[p] = ids[c]!;
    p = c;
  }
  keys[p] = key;
  ids[p] = id;
}

/**
 * Heapsort in place: afterwards keys/ids[0..size) are in ascending (key, id) order and the heap is no
 * longer a heap (reset `size` before reusing it).
 */
export function keyHeapSortAscending(h: KeyHeap): void {
  const { keys, ids } = h;
  for (let end = h.size - 1; end > 0; end--) {
    const k = keys[end]!;
    const i = ids[end]!;
    keys[end] = keys[0]!;
    ids[end] = ids[0]!;
    siftDown(keys, ids, end, 0, k, i);
  }
}

/** Turns keys/ids[0..size) into a heap in place (Floyd's bottom-up construction), O(size). */
export function keyHeapify(h: KeyHeap): void {
  const { keys, ids, size } = h;
  for (let p = (size >> 1) - 1; p >= 0; p--) siftDown(keys, ids, size, p, keys[p]!, ids[p]!);
}
