import { type KeyHeap, keyHeapPush, keyHeapSortAscending } from "../linalg/key-heap.js";
import { createSortPairsScratch, type SortPairsScratch, sortPairsByKey } from "../linalg/sort-pairs.js";

/** One test point's keys over the units still in the columns: position p holds unit alive?.[p] ?? p. */
export interface ColumnScan {
  col: Float32Array;
  len: number;
  /** Position → unit after a compaction (ascending); null while position = unit. */
  alive: Int32Array | null;
  taken: Uint8Array;
  /** Untaken units among the len positions. */
  untaken: number;
  /**
   * No untaken unit has a key below this (the largest key this test point loaded before: every unit
   * under it was loaded, and all loaded units are taken when a refill runs); -Infinity at first.
   */
  floor: number;
}

/** Reusable buffers for selections; they grow as needed. */
export interface SelectScratch {
  keys: Float32Array;
  ids: Int32Array;
  sample: Float32Array;
  sort: SortPairsScratch;
  /** Work counters: keys read, keys of taken units met inside the band, heap fallbacks. */
  scanned: number;
  takenSeen: number;
  fallbacks: number;
}

const SAMPLE = 256;

export function createSelectScratch(): SelectScratch {
  return {
    keys: new Float32Array(1024),
    ids: new Int32Array(1024),
    sample: new Float32Array(SAMPLE),
    sort: createSortPairsScratch(),
    scanned: 0,
    takenSeen: 0,
    fallbacks: 0,
  };
}

/**
 * Loads into scratch.keys/ids[0..count), ascending by (key, unit), EVERY untaken unit whose (key, unit)
 * is at most the largest one returned: at least `want` units, or all untaken ones. Returns count.
 *
 * A sample of evenly spaced positions estimates a key threshold τ that about 1.5 × want untaken units
 * fall under; one pass collects the untaken units with key in [floor, τ] (keys come 8 at a time with
 * one short-circuit test, about 3× faster in V8 than a branch per key, since almost every key is out
 * of the band; keys under `floor` belong to taken units and are skipped without a lookup). Ties at τ
 * are all collected, so the result is closed under (key, unit) order. For short columns, or when the
 * collection overflows (many ties), a bounded-heap pass selects exactly `want`.
 */
export function selectSmallestUntaken(s: ColumnScan, want: number, scratch: SelectScratch): number {
  const { col, len, alive, taken, untaken } = s;
  const k = Math.min(want, untaken);
  scratch.scanned += len;
  if (k >= untaken) return collect(s, Number.POSITIVE_INFINITY, untaken, scratch);
  if (len >= 16 * SAMPLE) {
    const sample = scratch.sample;
    let su = 0;
    for (let i = 0; i < SAMPLE; i++) {
      const p = Math.floor(((i + 0.5) * len) / SAMPLE);
      const u = alive === null ? p : alive[p]!;
      if (taken[u] === 0) sample[su++] = col[p]!;
    }
    if (su >= 8) {
      const sorted = sample.subarray(0, su).sort();
      const q = Math.min(su - 1, Math.floor((1.5 * k * su) / untaken));
      const tau = sorted[q]!;
      // About (q+1)/su × untaken units qualify; with q small that count has a long tail, so leave
      // generous room before falling back to the heap.
      const limit = Math.min(untaken, Math.ceil(4 * k + ((8 * (q + 1) + 16) * untaken) / su) + 64);
      const count = collect(s, tau, limit, scratch);
      if (count >= 0) return count;
    }
  }
  scratch.fallbacks++;
  return heapSelect(s, k, scratch);
}

/** Collects the untaken units with key in [floor, tau], then sorts them; -1 when more than `limit` qualify. */
function collect(s: ColumnScan, tau: number, limit: number, scratch: SelectScratch): number {
  if (scratch.keys.length < limit) {
    scratch.keys = new Float32Array(limit);
    scratch.ids = new Int32Array(limit);
  }
  const { col, len, alive, taken, floor } = s;
  const keys = scratch.keys;
  const ids = scratch.ids;
  let c = 0;
  const end = len - (len & 7);
  let p = 0;
  while (p < len) {
    if (p < end) {
      const v0 = col[p]!;
      const v1 = col[p + 1]!;
      const v2 = col[p + 2]!;
      const v3 = col[p + 3]!;
      const v4 = col[p + 4]!;
      const v5 = col[p + 5]!;
      const v6 = col[p + 6]!;
      const v7 = col[p + 7]!;
      if (
        !(
          (v0 <= tau && v0 >= floor) ||
          (v1 <= tau && v1 >= floor) ||
          (v2 <= tau && v2 >= floor) ||
          (v3 <= tau && v3 >= floor) ||
          (v4 <= tau && v4 >= floor) ||
          (v5 <= tau && v5 >= floor) ||
          (v6 <= tau && v6 >= floor) ||
          (v7 <= tau && v7 >= floor)
        )
      ) {
        p += 8;
        continue;
      }
    }
    const stop = p < end ? p + 8 : len;
    for (; p < stop; p++) {
      const v = col[p]!;
      if (v > tau || v < floor) continue;
      const u = alive === null ? p : alive[p]!;
      if (taken[u] !== 0) {
        scratch.takenSeen++;
        continue;
      }
      if (c === limit) return -1;
      keys[c] = v;
      ids[c] = u;
      c++;
    }
  }
  // Collected in ascending unit order, so a stable sort by key leaves ties by ascending unit.
  sortPairsByKey(keys, ids, c, scratch.sort);
  return c;
}

/** Exactly the k smallest untaken (key, unit) pairs, by one pass with a bounded max-heap. */
function heapSelect(s: ColumnScan, k: number, scratch: SelectScratch): number {
  if (scratch.keys.length < k) {
    scratch.keys = new Float32Array(k);
    scratch.ids = new Int32Array(k);
  }
  const h: KeyHeap = { keys: scratch.keys.subarray(0, k), ids: scratch.ids.subarray(0, k), size: 0 };
  const { col, len, alive, taken } = s;
  const hk = h.keys;
  let p = 0;
  for (; p < len && h.size < k; p++) {
    const u = alive === null ? p : alive[p]!;
    if (taken[u] === 0) keyHeapPush(h, col[p]!, u);
  }
  let top = hk[0]!;
  // Units come in ascending order, so once the heap is full a key equal to the largest kept one never
  // displaces it: `v >= top` rejects.
  for (; p < len; p++) {
    const v = col[p]!;
    if (v >= top) continue;
    const u = alive === null ? p : alive[p]!;
    if (taken[u] !== 0) continue;
    keyHeapPush(h, v, u);
    top = hk[0]!;
  }
  keyHeapSortAscending(h);
  return h.size;
}

/**
 * The arrangement as it grows, one entry per sequence position (no per-unit pick state besides the
 * taken flag: a round's picks, at most one per test point, are deduplicated by sorting them).
 */
export interface TmaPlacement {
  taken: Uint8Array;
  sequence: Int32Array;
  round: Int32Array;
  key: Float32Array;
  pickedBy: Int32Array;
  count: number;
}

export function createPlacement(n: number, m: number, engine: string): TmaPlacement {
  // Picks are coded unit × m + test point, exact in a double while n × m < 2^53.
  if (n * m > Number.MAX_SAFE_INTEGER) throw new RangeError(`${engine}: n × m = ${n * m} is too large`);
  return {
    taken: new Uint8Array(n),
    sequence: new Int32Array(n),
    round: new Int32Array(n),
    key: new Float32Array(n),
    pickedBy: new Int32Array(n),
    count: 0,
  };
}

/**
 * Places one round: `picks[0..count)` hold unit × m + test point (one per test point that picked) and
 * pickKey[j] the key test point j picked at. Sorted, a unit picked by several test points comes once,
 * attributed to the lowest of them, and units enter the sequence in ascending order. Returns how many
 * units the round placed.
 */
export function placeRound(
  p: TmaPlacement,
  picks: Float64Array,
  count: number,
  m: number,
  pickKey: Float32Array,
  round: number,
): number {
  const sorted = picks.subarray(0, count).sort();
  let previous = -1;
  let placed = 0;
  for (let t = 0; t < count; t++) {
    const code = sorted[t]!;
    const u = Math.floor(code / m);
    if (u === previous) continue;
    previous = u;
    const j = code - u * m;
    const at = p.count++;
    p.taken[u] = 1;
    p.sequence[at] = u;
    p.round[at] = round;
    p.key[at] = pickKey[j]!;
    p.pickedBy[at] = j;
    placed++;
  }
  return placed;
}
