import { exactMatch } from "./exact-match.js";
import { type RougeOptions, rouge1, rougeL } from "./rouge.js";

export interface GenerationScores {
  /** Mean ROUGE-1 F-measure over examples, in [0, 1]. */
  rouge1: number;
  /** Mean ROUGE-L F-measure. */
  rougeL: number;
  /** Fraction of exact matches. */
  exactMatch: number;
  examples: number;
}

/** Mean ROUGE-1, ROUGE-L and exact match of predictions against references (same length). */
export function scoreGenerations(
  references: readonly string[],
  predictions: readonly string[],
  options: RougeOptions = {},
): GenerationScores {
  if (references.length !== predictions.length)
    throw new Error(`${predictions.length} predictions for ${references.length} references`);
  let r1 = 0;
  let rl = 0;
  let em = 0;
  for (let i = 0; i < references.length; i++) {
    r1 += rouge1(references[i]!, predictions[i]!, options).fmeasure;
    rl += rougeL(references[i]!, predictions[i]!, options).fmeasure;
    em += exactMatch(references[i]!, predictions[i]!);
  }
  const n = Math.max(references.length, 1);
  return { rouge1: r1 / n, rougeL: rl / n, exactMatch: em / n, examples: references.length };
}
