/**
 * Token-budget helpers for backends with a subword tokenizer.
 */

/** Collapse every run of whitespace (newlines, tabs, non-breaking spaces) to one space and trim. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export interface TokenPrefix {
  /** The first `maxTokens` token ids (all of them when the text fits). */
  ids: number[];
  /** True when the text had more than `maxTokens` tokens. */
  truncated: boolean;
  /** Characters of `text` the kept tokens cover (all of it when the text fits; up to the cut otherwise). */
  chars: number;
}

/**
 * Token ids of the first `maxTokens` tokens of `text` (whitespace already collapsed), tokenizing it one word
 * at a time and stopping once the budget is exceeded. `encodeWord(w)` must give the ids `w` has in running
 * text: for a SentencePiece vocabulary whose pieces never span a word boundary (no piece holds "▁" after its
 * first character, as in USE lite's), that is the tokenization of `w` alone, and the concatenation equals
 * the tokenization of the whole text. Cost is linear in the kept words, whatever the text length.
 */
export function encodeWords(
  text: string,
  encodeWord: (word: string) => readonly number[],
  maxTokens: number,
): TokenPrefix {
  const ids: number[] = [];
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf(" ", from);
    if (to < 0) to = text.length;
    if (to > from) {
      const piece = encodeWord(text.slice(from, to));
      for (const id of piece) {
        if (ids.length === maxTokens) return { ids, truncated: true, chars: from };
        ids.push(id);
      }
    }
    from = to + 1;
  }
  return { ids, truncated: false, chars: text.length };
}

/** Memoize a word encoder; the cache is emptied when it reaches `maxEntries` words. */
export function cachedWordEncoder(
  encode: (word: string) => number[],
  maxEntries = 100_000,
): (word: string) => readonly number[] {
  const cache = new Map<string, readonly number[]>();
  return (word) => {
    let ids = cache.get(word);
    if (ids === undefined) {
      if (cache.size >= maxEntries) cache.clear();
      ids = encode(word);
      cache.set(word, ids);
    }
    return ids;
  };
}
