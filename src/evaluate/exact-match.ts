/**
 * Exact match with the usual answer normalization, as SQuAD's official evaluation script
 * (`normalize_answer`) does it in Python 3: `s.lower()`, the characters of `string.punctuation` removed,
 * `re.sub(r'\b(a|an|the)\b', ' ', s)`, then `' '.join(s.split())`. The paper describes the same steps
 * except articles (appendix A.4); `articles: false` keeps them.
 *
 * Python's semantics are kept where JavaScript's differ:
 *  - `\b` in a Python `str` pattern is a boundary between a word character (Unicode letter or number,
 *    or `_`) and anything else; JavaScript's `\b` knows only [A-Za-z0-9_], so "the" in "théâtre the" or
 *    "naïve" would be mis-split. Word characters here are [\p{L}\p{N}_] (for every character Python 3.11's
 *    Unicode 14 assigns, the same set as Python's `\w`).
 *  - `str.split()` splits on Python's whitespace (`str.isspace`), which includes U+001C–U+001F and U+0085
 *    and excludes U+FEFF; JavaScript's `\s` is the other way round.
 */

export interface ExactMatchOptions {
  /** Remove the articles a, an, the. Default true. */
  articles?: boolean;
}

/** `string.punctuation`: the 32 ASCII punctuation characters. */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** `\b(a|an|the)\b` with Python's Unicode word characters. */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
/** The code points for which Python's `str.isspace()` is true (all in the BMP). */
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** `' '.join(s.split())`: runs of Python whitespace become one space, none at either end. */
function collapsePythonWhitespace(s: string): string {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const space = PY_WHITESPACE.has(s.charCodeAt(i));
    if (space && start >= 0) {
      words.push(s.slice(start, i));
      start = -1;
    } else if (!space && start < 0) start = i;
  }
  if (start >= 0) words.push(s.slice(start));
  return words.join(" ");
}

export function normalizeAnswer(text: string, options: ExactMatchOptions = {}): string {
  let s = text.toLowerCase().replace(PUNCTUATION, "");
  if (options.articles !== false) s = s.replace(ARTICLES, " ");
  return collapsePythonWhitespace(s);
}

/** 1 when the normalized prediction equals the normalized reference, else 0. */
export function exactMatch(reference: string, prediction: string, options: ExactMatchOptions = {}): number {
  return normalizeAnswer(reference, options) === normalizeAnswer(prediction, options) ? 1 : 0;
}
