import { describe, expect, it } from "vitest";
import { cachedWordEncoder, collapseWhitespace, encodeWords } from "../../src/embed/truncate.js";

/** A stand-in tokenizer: words of up to 3 letters are one piece, longer ones two (id = length, then 0). */
const encodeWord = (w: string) => (w.length <= 3 ? [w.length] : [w.length, 0]);

describe("collapseWhitespace", () => {
  it("turns newlines, tabs and runs of spaces into single spaces and trims", () => {
    expect(collapseWhitespace("  a\n\nb\t c\u00a0d  ")).toBe("a b c d");
    expect(collapseWhitespace(" \n ")).toBe("");
  });
});

describe("encodeWords", () => {
  it("concatenates the pieces of each word and keeps short texts whole", () => {
    expect(encodeWords("aa b cccc", encodeWord, 10)).toEqual({
      ids: [2, 1, 4, 0],
      truncated: false,
      chars: 9,
    });
    expect(encodeWords("", encodeWord, 10)).toEqual({ ids: [], truncated: false, chars: 0 });
  });

  it("flags a text with maxTokens + 1 pieces, not one with exactly maxTokens", () => {
    expect(encodeWords("a b cccc", encodeWord, 4)).toEqual({ ids: [1, 1, 4, 0], truncated: false, chars: 8 });
    expect(encodeWords("a b cccc d", encodeWord, 4)).toEqual({
      ids: [1, 1, 4, 0],
      truncated: true,
      chars: 9,
    });
    // The budget can end inside a word.
    expect(encodeWords("a b cccc", encodeWord, 3)).toEqual({ ids: [1, 1, 4], truncated: true, chars: 4 });
  });

  it("stops reading a long text once the budget is spent", () => {
    const seen: string[] = [];
    const text = Array.from({ length: 100_000 }, (_, i) => `w${i}`).join(" ");
    const p = encodeWords(
      text,
      (w) => {
        seen.push(w);
        return [1];
      },
      256,
    );
    expect(p.truncated).toBe(true);
    expect(p.ids).toHaveLength(256);
    expect(seen).toHaveLength(257);
    expect(seen[0]).toBe("w0");
  });
});

describe("cachedWordEncoder", () => {
  it("encodes each distinct word once and clears when full", () => {
    const calls: string[] = [];
    const enc = cachedWordEncoder((w) => {
      calls.push(w);
      return [w.length];
    }, 2);
    expect([enc("ab"), enc("ab"), enc("c"), enc("ab")]).toEqual([[2], [2], [1], [2]]);
    expect(calls).toEqual(["ab", "c"]);
    enc("d"); // cache full (2 words): cleared, then "d" stored
    enc("ab");
    expect(calls).toEqual(["ab", "c", "d", "ab"]);
  });
});
