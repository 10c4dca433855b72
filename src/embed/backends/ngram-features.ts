/**
 * Feature extraction for the `ngram` embedder: one pass over a lowercased text counts word unigrams,
 * word bigrams and character n-grams of words by 32-bit hash, in reusable open-addressing tables
 * (no per-feature strings or objects are allocated).
 */

export interface FeatureSettings {
  words: boolean;
  bigrams: boolean;
  chars: readonly [number, number] | false;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = FNV_OFFSET;
const CHAR_SEED = 0x2f1b7a3d;
const UNIGRAM_SALT = 0x51ed270b;
const BIGRAM_SALT = 0x1b873593;
const LT = 60; // "<"
const GT = 62; // ">"

/** A reusable hash → count table; `order` lists the occupied slots in insertion order. */
export class CountTable {
  keys = new Int32Array(0);
  counts = new Int32Array(0);
  /** Word tables only: offset and end of the first occurrence in the lowercased text. */
  start = new Int32Array(0);
  end = new Int32Array(0);
  /** A slot is occupied when `stamp[slot] === epoch`, so clearing the table is O(1). */
  stamp = new Uint32Array(0);
  order = new Int32Array(0);
  size = 0;
  mask = 0;
  epoch = 1;

  constructor(capacity: number) {
    this.allocate(capacity);
  }

  private allocate(capacity: number): void {
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.stamp = new Uint32Array(capacity);
    this.order = new Int32Array(capacity);
    this.epoch = 1;
    this.mask = capacity - 1;
  }

  /** Empty the table for a text expected to hold about `expected` keys; arrays are reused when long enough. */
  clear(expected: number): void {
    this.size = 0;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    this.epoch++;
    let slots = 64;
    while (slots < expected * 2) slots *= 2;
    if (slots > this.keys.length) this.allocate(slots);
    this.mask = slots - 1;
  }

  /** Add `count` to key `h`; returns its slot. */
  add(h: number, count: number): number {
    const keys = this.keys;
    const stamp = this.stamp;
    const mask = this.mask;
    const epoch = this.epoch;
    let s = h & mask;
    while (stamp[s] === epoch) {
      if (keys[s] === h) {
        this.counts[s]! += count;
        return s;
      }
      s = (s + 1) & mask;
    }
    stamp[s] = epoch;
    keys[s] = h;
    this.counts[s] = count;
    this.order[this.size++] = s;
    if (this.size * 2 > mask) {
      this.grow();
      return this.find(h);
    }
    return s;
  }

  private find(h: number): number {
    let s = h & this.mask;
    while (this.keys[s] !== h || this.stamp[s] !== this.epoch) s = (s + 1) & this.mask;
    return s;
  }

  /** Double the active part of the table and rehash (reallocating only when the arrays are too short). */
  private grow(): void {
    const n = this.size;
    const saved = new Int32Array(4 * n);
    for (let k = 0; k < n; k++) {
      const s = this.order[k]!;
      saved[4 * k] = this.keys[s]!;
      saved[4 * k + 1] = this.counts[s]!;
      saved[4 * k + 2] = this.start[s]!;
      saved[4 * k + 3] = this.end[s]!;
    }
    this.clear(this.mask + 1);
    for (let k = 0; k < n; k++) {
      const slot = this.add(saved[4 * k]!, saved[4 * k + 1]!);
      this.start[slot] = saved[4 * k + 2]!;
      this.end[slot] = saved[4 * k + 3]!;
    }
  }
}

/** Reusable buffers for one extractor (not shared between concurrent calls). */
export class FeatureCounts {
  readonly features = new CountTable(4096);
  readonly words = new CountTable(1024);
  codes = new Int32Array(64);
}

export function newFeatureCounts(): FeatureCounts {
  return new FeatureCounts();
}

/** Murmur3's 32-bit finalizer: spreads every input bit over the whole output. */
export function fmix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * Word characters: ASCII letters and digits, and every non-ASCII code unit except common space,
 * punctuation and symbol blocks (Latin-1 symbols, general punctuation, arrows/maths/box drawing,
 * CJK punctuation, full-width ASCII punctuation).
 */
export function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  if (c < 0xc0) return false;
  if (c === 0xd7 || c === 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false;
  if (c >= 0x2e00 && c <= 0x2e7f) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  if (c === 0xfeff) return false;
  if (c >= 0xff00 && c <= 0xff0f) return false;
  return true;
}

function addWord(words: CountTable, h: number, start: number, end: number): void {
  const before = words.size;
  const slot = words.add(h, 1);
  if (words.size > before) {
    words.start[slot] = start;
    words.end[slot] = end;
  }
}

function addCharGrams(
  fc: FeatureCounts,
  text: string,
  start: number,
  end: number,
  count: number,
  lo: number,
  hi: number,
): void {
  const padded = end - start + 2;
  if (fc.codes.length < padded) fc.codes = new Int32Array(padded * 2);
  const buf = fc.codes;
  const table = fc.features;
  buf[0] = LT;
  for (let q = start; q < end; q++) buf[q - start + 1] = text.charCodeAt(q);
  buf[padded - 1] = GT;
  for (let p = 0; p < padded; p++) {
    let g = CHAR_SEED;
    const last = Math.min(padded, p + hi);
    const first = p + lo - 1;
    for (let q = p; q < last; q++) {
      g = Math.imul(g ^ buf[q]!, FNV_PRIME);
      if (q >= first) table.add(fmix32(g), count);
    }
  }
}

/** Count the features of `text` into `fc.features` (cleared first). */
export function extractFeatures(text: string, fc: FeatureCounts, s: FeatureSettings): void {
  const lower = text.toLowerCase();
  const n = lower.length;
  const feats = fc.features;
  const words = fc.words;
  const perChar = (s.chars ? 0.4 * (s.chars[1] - s.chars[0] + 1) : 0) + (s.words || s.bigrams ? 0.4 : 0);
  feats.clear(n * perChar);
  words.clear(n / 5);
  let inWord = false;
  let start = 0;
  let h = 0;
  // FNV-1a of "<previous word> <this word>", built alongside `h`, so a bigram hashes as well as a word does.
  let pair = 0;
  let prev = 0;
  let hasPrev = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? lower.charCodeAt(i) : 32;
    if (isWordChar(c)) {
      if (!inWord) {
        inWord = true;
        start = i;
        h = WORD_SEED;
        pair = Math.imul(prev ^ 32, FNV_PRIME);
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      pair = Math.imul(pair ^ c, FNV_PRIME);
    } else if (inWord) {
      inWord = false;
      addWord(words, h, start, i);
      if (s.bigrams && hasPrev) feats.add(fmix32(pair ^ BIGRAM_SALT), 1);
      prev = h;
      hasPrev = true;
    }
  }
  for (let k = 0; k < words.size; k++) {
    const slot = words.order[k]!;
    const count = words.counts[slot]!;
    if (s.words) feats.add(fmix32(words.keys[slot]! ^ UNIGRAM_SALT), count);
    if (s.chars) addCharGrams(fc, lower, words.start[slot]!, words.end[slot]!, count, s.chars[0], s.chars[1]);
  }
}
