/** Scratch for sortPairsByKey; grows as needed. */
export interface SortPairsScratch {
  bits: Uint32Array;
  bits2: Uint32Array;
  ids2: Int32Array;
  counts: Uint32Array;
}

export function createSortPairsScratch(capacity = 1024): SortPairsScratch {
  return {
    bits: new Uint32Array(capacity),
    bits2: new Uint32Array(capacity),
    ids2: new Int32Array(capacity),
    counts: new Uint32Array(256 * 4),
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Order-preserving unsigned image of a float32 (finite values and ±Infinity): a < b ⇔ image(a) <
 * image(b), and -0 maps to the image of +0 so equal floats get equal images.
 */
export function sortableBits(v: number): number {
  f32[0] = v;
  let b = u32[0]!;
  if (b === 0x80000000) b = 0; // -0 → +0
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

/**
 * Sorts keys/ids[0..count) in place by key ascending, stably: pairs with equal keys keep their input
 * order (so ids given ascending stay ascending among ties; -0 and +0 are equal, and a -0 key comes
 * back as +0). LSD radix sort on the order-preserving bits of the float32 keys, 8 bits per pass,
 * skipping passes where every digit agrees; insertion sort below 48 pairs. Keys must not be NaN.
 */
export function sortPairsByKey(
  keys: Float32Array,
  ids: Int32Array,
  count: number,
  s: SortPairsScratch,
): void {
  if (count < 48) {
    insertionSort(keys, ids, count);
    return;
  }
  if (s.bits.length < count) {
    const cap = Math.max(count, 2 * s.bits.length);
    s.bits = new Uint32Array(cap);
    s.bits2 = new Uint32Array(cap);
    s.ids2 = new Int32Array(cap);
  }
  const counts = s.counts;
  counts.fill(0);
  let bits = s.bits;
  // The keys' own bits, read through a Uint32 view (cheaper in V8 than a scratch round trip per key).
  const raw = new Uint32Array(keys.buffer, keys.byteOffset, count);
  for (let i = 0; i < count; i++) {
    let b = raw[i]!;
    if (b === 0x80000000) b = 0; // -0 → +0
    b = (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    bits[i] = b;
    counts[b & 0xff]!++;
    counts[256 + ((b >>> 8) & 0xff)]!++;
    counts[512 + ((b >>> 16) & 0xff)]!++;
    counts[768 + (b >>> 24)]!++;
  }
  // Ping-pong (bits, ids) between (s.bits, caller's ids) and (s.bits2, s.ids2).
  let curI = ids;
  let othB = s.bits2;
  let othI = s.ids2;
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 256;
    const shift = pass * 8;
    if (counts[base + ((bits[0]! >>> shift) & 0xff)] === count) continue; // every pair has this digit
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = counts[base + d]!;
      counts[base + d] = sum;
      sum += c;
    }
    for (let i = 0; i < count; i++) {
      const b = bits[i]!;
      const at = counts[base + ((b >>> shift) & 0xff)]!++;
      othB[at] = b;
      othI[at] = curI[i]!;
    }
    [bits, othB] = [othB, bits];
    [curI, othI] = [othI, curI];
  }
  for (let i = 0; i < count; i++) {
    const b = bits[i]!;
    raw[i] = (b & 0x80000000) !== 0 ? b & 0x7fffffff : ~b >>> 0;
  }
  if (curI !== ids) ids.set(curI.subarray(0, count));
}

function insertionSort(keys: Float32Array, ids: Int32Array, count: number): void {
  for (let i = 1; i < count; i++) {
    const k = keys[i]!;
    const id = ids[i]!;
    let j = i - 1;
    // Strict > keeps equal keys (including -0 vs +0) in input order.
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      ids[j + 1] = ids[j]!;
      j--;
    }
    keys[j + 1] = k;
    ids[j + 1] = id;
  }
}
