import { usageError } from "../../core/errors.js";
import type { Embedder, EmbedResult } from "../types.js";
import { type CountTable, extractFeatures, type FeatureCounts, newFeatureCounts } from "./ngram-features.js";

/**
 * `ngram`: hashed lexical features in the spirit of DSIR. Each text is lowercased and split into word tokens
 * (runs of letters and digits); its features are word unigrams, word bigrams and the character 3- to 5-grams
 * of every word padded with boundary markers (`<cat>` gives `<ca`, `cat`, `at>`, `<cat`, `cat>`, `<cat>`).
 * Each feature is hashed to 32 bits; the low bits pick one of `dims` buckets and bit 31 the sign, so that
 * colliding features tend to cancel rather than pile up. A feature's weight is (1 + ln tf) · idf, then the
 * vector is L2-normalized.
 *
 * IDF comes from `fit()` (smoothed: ln((1+N)/(1+df)) + 1, where df is counted per feature in a table of
 * 2^20 slots indexed by other bits of the same hash, not per bucket, so that it stays informative when
 * `dims` is small). Before `fit()`, or when it is never called, idf is 1 for every feature (plain
 * sublinear TF). A text without any word character (e.g. "" or "!!!") gives the zero vector.
 */
export interface NgramOptions {
  /** Hashed feature dimensions (default 1024). */
  dims?: number;
  /** Add word unigram features (default true). */
  words?: boolean;
  /** Add word bigram features (default true). */
  bigrams?: boolean;
  /** Smallest and largest character n-gram, or false for none (default [3, 5]). */
  chars?: readonly [number, number] | false;
}

export const NGRAM_DEFAULT_DIMS = 1024;
const IDF_BITS = 20;
const MAX_DIMS = 1 << 24;
/** 1 + ln(tf) for small tf (index 0 unused). */
const SUBLINEAR = Float64Array.from({ length: 256 }, (_, tf) => (tf === 0 ? 0 : 1 + Math.log(tf)));

interface IdfTable {
  idf: Float32Array;
  docs: number;
  /** Short fingerprint of the document frequencies, so runs fitted on different corpora differ in `version`. */
  digest: string;
}

function checkOptions(o: NgramOptions): Required<NgramOptions> {
  const dims = o.dims ?? NGRAM_DEFAULT_DIMS;
  if (!Number.isSafeInteger(dims) || dims < 1 || dims > MAX_DIMS)
    throw usageError(
      `ngram dimensions must be an integer from 1 to ${MAX_DIMS}, got ${dims}`,
      "--ngram-dims",
      "pass e.g. --ngram-dims 1024",
    );
  const chars = o.chars ?? [3, 5];
  if (chars !== false) {
    const [lo, hi] = chars;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 8)
      throw usageError(`character n-gram range must satisfy 1 <= min <= max <= 8, got [${lo}, ${hi}]`);
  }
  const words = o.words ?? true;
  const bigrams = o.bigrams ?? true;
  if (!words && !bigrams && chars === false)
    throw usageError("ngram embedder needs at least one feature kind");
  return { dims, words, bigrams, chars };
}

function describe(o: Required<NgramOptions>): string {
  const kinds = [o.words ? "w1" : "", o.bigrams ? "w2" : "", o.chars ? `c${o.chars[0]}-${o.chars[1]}` : ""];
  return `ngram-v1;dims=${o.dims};feats=${kinds.filter((k) => k !== "").join("+")};hash=fnv1a+fmix32;sign=bit31;tf=1+ln;l2`;
}

function fnvDigest(values: Uint32Array, docs: number): string {
  let h = 0x811c9dc5 ^ docs;
  for (let i = 0; i < values.length; i++) h = Math.imul(h ^ values[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function computeIdf(texts: Iterable<string>, fc: FeatureCounts, o: Required<NgramOptions>): IdfTable {
  const size = 1 << IDF_BITS;
  const df = new Uint32Array(size);
  const seen = new Int32Array(size);
  let docs = 0;
  for (const text of texts) {
    docs++;
    extractFeatures(text, fc, o);
    const t = fc.features;
    for (let k = 0; k < t.size; k++) {
      const slot = idfSlot(t.keys[t.order[k]!]!);
      // Two features of one text in the same slot count once, so df never exceeds the number of texts.
      if (seen[slot] !== docs) {
        seen[slot] = docs;
        df[slot]!++;
      }
    }
  }
  const idf = new Float32Array(size);
  for (let s = 0; s < size; s++) idf[s] = Math.log((1 + docs) / (1 + df[s]!)) + 1;
  return { idf, docs, digest: fnvDigest(df, docs) };
}

function idfSlot(hash: number): number {
  return (hash >>> 8) & ((1 << IDF_BITS) - 1);
}

/** Write the weighted, normalized vector of the features in `t` into `out` (length dims, zero-filled). */
function project(t: CountTable, dims: number, idf: Float32Array | undefined, out: Float32Array): void {
  const pow2 = (dims & (dims - 1)) === 0;
  const mask = dims - 1;
  for (let k = 0; k < t.size; k++) {
    const slot = t.order[k]!;
    const h = t.keys[slot]!;
    const tf = t.counts[slot]!;
    let w = tf < SUBLINEAR.length ? SUBLINEAR[tf]! : 1 + Math.log(tf);
    if (idf !== undefined) w *= idf[idfSlot(h)]!;
    const b = pow2 ? h & mask : (h >>> 0) % dims;
    out[b]! += h < 0 ? -w : w;
  }
  let ss = 0;
  for (let i = 0; i < dims; i++) ss += out[i]! * out[i]!;
  if (ss > 0) {
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < dims; i++) out[i]! *= inv;
  }
}

export interface NgramEmbedder extends Embedder {
  /** Count document frequencies over `texts` (replacing any earlier fit). */
  fit(texts: Iterable<string>): Promise<void>;
  /** Number of texts `fit` saw (0 before fit). */
  readonly fittedDocs: number;
}

export function createNgramEmbedder(options: NgramOptions = {}): NgramEmbedder {
  const o = checkOptions(options);
  const base = describe(o);
  const fc = newFeatureCounts();
  let table: IdfTable | undefined;
  return {
    id: "ngram",
    get version(): string {
      return table === undefined ? `${base};idf=none` : `${base};idf=fit:${table.docs}:${table.digest}`;
    },
    dims: o.dims,
    normalized: true,
    get fittedDocs(): number {
      return table?.docs ?? 0;
    },
    async fit(texts: Iterable<string>): Promise<void> {
      table = computeIdf(texts, fc, o);
    },
    async embed(texts: string[]): Promise<EmbedResult> {
      const vectors = new Float32Array(texts.length * o.dims);
      for (let i = 0; i < texts.length; i++) {
        extractFeatures(texts[i]!, fc, o);
        project(fc.features, o.dims, table?.idf, vectors.subarray(i * o.dims, (i + 1) * o.dims));
      }
      return { vectors, truncated: 0 };
    },
  };
}
