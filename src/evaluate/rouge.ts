/**
 * ROUGE-1 and ROUGE-L F-measures as Google's `rouge-score` package computes them (the implementation
 * the paper used): text is lower-cased, every run of characters outside [a-z0-9] becomes a space,
 * tokens are split on whitespace; with `stemmer` the Porter stemmer as NLTK's `PorterStemmer()` has it
 * (NLTK_EXTENSIONS mode, which rouge-score uses; see porter.ts) is applied to tokens longer than three
 * characters (rouge-score's `use_stemmer=True`; off by default there and here).
 * ROUGE-1 counts clipped unigram overlaps; ROUGE-L uses the longest common subsequence. Precision is
 * over the prediction, recall over the reference, F = 2PR / (P + R) (0 when both are 0).
 */
import { porterStem } from "./porter.js";

export interface RougeOptions {
  /** Apply the Porter stemmer (NLTK's extension mode, as rouge-score) to tokens longer than 3 characters. Default false. */
  stemmer?: boolean;
}

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export function rougeTokens(text: string, options: RougeOptions = {}): string[] {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .split(/\s+/);
  const out: string[] = [];
  for (const w of words) {
    if (w === "") continue;
    const t = options.stemmer === true && w.length > 3 ? porterStem(w) : w;
    if (/^[a-z0-9]+$/.test(t)) out.push(t);
  }
  return out;
}

function score(overlap: number, predicted: number, reference: number): RougeScore {
  const precision = overlap / Math.max(predicted, 1);
  const recall = overlap / Math.max(reference, 1);
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

/** ROUGE-1 of a prediction against a reference. */
export function rouge1(reference: string, prediction: string, options: RougeOptions = {}): RougeScore {
  const ref = rougeTokens(reference, options);
  const pred = rougeTokens(prediction, options);
  const counts = new Map<string, number>();
  for (const t of ref) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      overlap++;
      counts.set(t, c - 1);
    }
  }
  return score(overlap, pred.length, ref.length);
}

/** Length of the longest common subsequence of two token lists (two-row dynamic programme). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** ROUGE-L (sentence level, no summary-level splitting) of a prediction against a reference. */
export function rougeL(reference: string, prediction: string, options: RougeOptions = {}): RougeScore {
  const ref = rougeTokens(reference, options);
  const pred = rougeTokens(prediction, options);
  if (ref.length === 0 || pred.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  return score(lcsLength(ref, pred), pred.length, ref.length);
}
