import { describe, expect, it } from "vitest";
import {
  CountTable,
  extractFeatures,
  isWordChar,
  newFeatureCounts,
} from "../../src/embed/backends/ngram-features.js";

describe("CountTable", () => {
  it("counts keys, keeps insertion order and survives growing past its first size", () => {
    const t = new CountTable(64);
    t.clear(1);
    for (let round = 0; round < 3; round++)
      for (let k = 0; k < 1000; k++) t.add(Math.imul(k, 0x9e3779b1), k + 1);
    expect(t.size).toBe(1000);
    for (let k = 0; k < 1000; k++) {
      const slot = t.order[k]!;
      expect(t.keys[slot]).toBe(Math.imul(k, 0x9e3779b1));
      expect(t.counts[slot]).toBe(3 * (k + 1));
    }
    t.clear(1);
    expect(t.size).toBe(0);
    t.add(5, 1);
    expect(t.counts[t.order[0]!]).toBe(1);
  });
});

describe("extractFeatures", () => {
  const settings = (words: boolean, bigrams: boolean, chars: [number, number] | false) => ({
    words,
    bigrams,
    chars,
  });

  it("counts unigrams, bigrams and boundary-marked character n-grams", () => {
    const fc = newFeatureCounts();
    extractFeatures("cat", fc, settings(true, false, false));
    expect(fc.features.size).toBe(1);
    extractFeatures("Cat cat CAT", fc, settings(true, false, false));
    expect(fc.features.size).toBe(1);
    expect(fc.features.counts[fc.features.order[0]!]).toBe(3);
    extractFeatures("cat dog cat", fc, settings(false, true, false));
    expect(fc.features.size).toBe(2); // cat→dog, dog→cat
    // "<cat>": 3-grams <ca cat at>, 4-grams <cat cat>, 5-gram <cat>
    extractFeatures("cat", fc, settings(false, false, [3, 5]));
    expect(fc.features.size).toBe(6);
    extractFeatures("a", fc, settings(false, false, [3, 5]));
    expect(fc.features.size).toBe(1);
  });

  it("handles texts far longer than the initial tables", () => {
    const fc = newFeatureCounts();
    const text = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(" ");
    extractFeatures(text, fc, settings(true, true, false));
    expect(fc.words.size).toBe(20_000);
    expect(fc.features.size).toBe(20_000 + 19_999);
  });

  it("treats letters of any script as word characters and punctuation as separators", () => {
    for (const c of "azAZ09éßж東") expect(isWordChar(c.charCodeAt(0))).toBe(true);
    for (const c of " .,;:!?'\"-()\u00a0\u2019\u201c\u2014\u3002")
      expect(isWordChar(c.charCodeAt(0))).toBe(false);
  });
});
