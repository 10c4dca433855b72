/**
 * Exact match with the usual answer normalization (SQuAD's evaluation script): lower-case, ASCII
 * punctuation removed, the articles a/an/the removed, whitespace collapsed. The paper describes the
 * same steps except articles (appendix A.4); `articles: false` keeps them.
 */

export interface ExactMatchOptions {
  /** Remove the articles a, an, the. Default true. */
  articles?: boolean;
}

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

export function normalizeAnswer(text: string, options: ExactMatchOptions = {}): string {
  let s = text.toLowerCase().replace(PUNCTUATION, "");
  if (options.articles !== false) s = s.replace(/\b(a|an|the)\b/g, " ");
  return s
    .split(/\s+/)
    .filter((w) => w !== "")
    .join(" ");
}

/** 1 when the normalized prediction equals the normalized reference, else 0. */
export function exactMatch(reference: string, prediction: string, options: ExactMatchOptions = {}): number {
  return normalizeAnswer(reference, options) === normalizeAnswer(prediction, options) ? 1 : 0;
}
