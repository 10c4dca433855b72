import { describe, expect, it } from "vitest";
import { exactMatch, normalizeAnswer } from "../../src/evaluate/exact-match.js";
import { scoreGenerations } from "../../src/evaluate/generation.js";
import { lcsLength, rouge1, rougeL, rougeTokens } from "../../src/evaluate/rouge.js";

describe("rouge-score tokenization", () => {
  it("lower-cases, splits on every non [a-z0-9] run and drops other characters", () => {
    expect(rougeTokens("Hello, World! It's 2024-05-01.")).toEqual([
      "hello",
      "world",
      "it",
      "s",
      "2024",
      "05",
      "01",
    ]);
    expect(rougeTokens("café  naïve")).toEqual(["caf", "na", "ve"]);
    expect(rougeTokens("   ")).toEqual([]);
  });

  it("stems only tokens longer than three characters, and only when asked", () => {
    expect(rougeTokens("cats running was")).toEqual(["cats", "running", "was"]);
    expect(rougeTokens("cats running was", { stemmer: true })).toEqual(["cat", "run", "was"]);
  });
});

describe("ROUGE-1 and ROUGE-L", () => {
  // rouge-score's README example pair (github.com/google-research/google-research, rouge/README.md):
  // scorer.score('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.')
  // Hand-computed: 9 reference tokens, 8 predicted; unigram overlap the x2, quick, brown, dog, jumps = 6;
  // LCS "the quick brown jumps the" = 5.
  const ref = "The quick brown fox jumps over the lazy dog";
  const pred = "The quick brown dog jumps on the log.";

  it("matches hand-computed values on rouge-score's README pair", () => {
    const r1 = rouge1(ref, pred, { stemmer: true });
    expect(r1.precision).toBeCloseTo(6 / 8, 12);
    expect(r1.recall).toBeCloseTo(6 / 9, 12);
    expect(r1.fmeasure).toBeCloseTo((2 * (6 / 8) * (6 / 9)) / (6 / 8 + 6 / 9), 12);
    const rl = rougeL(ref, pred, { stemmer: true });
    expect(rl.precision).toBeCloseTo(5 / 8, 12);
    expect(rl.recall).toBeCloseTo(5 / 9, 12);
    expect(rl.fmeasure).toBeCloseTo(50 / 85, 12);
  });

  it("reproduces Lin (2004)'s ROUGE-L example: police killed the gunman", () => {
    // C.-Y. Lin, "ROUGE: A Package for Automatic Evaluation of Summaries", 2004, section 3.1:
    // S1 reference, S2 = "police kill the gunman" (LCS 3 of 4), S3 = "the gunman kill police" (LCS 2).
    const s1 = "police killed the gunman";
    expect(rougeL(s1, "police kill the gunman").fmeasure).toBeCloseTo(0.75, 12);
    expect(rougeL(s1, "the gunman kill police").fmeasure).toBeCloseTo(0.5, 12);
    // Lin's ROUGE-2 cannot tell S2 and S3 apart; ROUGE-1 cannot either (3 of 4 each).
    expect(rouge1(s1, "police kill the gunman").fmeasure).toBeCloseTo(0.75, 12);
    expect(rouge1(s1, "the gunman kill police").fmeasure).toBeCloseTo(0.75, 12);
    // With the stemmer "killed" and "kill" meet: S2 matches fully.
    expect(rougeL(s1, "police kill the gunman", { stemmer: true }).fmeasure).toBeCloseTo(1, 12);
  });

  it("clips repeated unigrams by the reference count", () => {
    // reference "the cat", prediction "the the the": overlap 1, P = 1/3, R = 1/2.
    const s = rouge1("the cat", "the the the");
    expect(s.precision).toBeCloseTo(1 / 3, 12);
    expect(s.recall).toBeCloseTo(1 / 2, 12);
    expect(s.fmeasure).toBeCloseTo(0.4, 12);
  });

  it("scores empty texts 0, as rouge-score does", () => {
    expect(rouge1("", "anything").fmeasure).toBe(0);
    expect(rougeL("a b", "").fmeasure).toBe(0);
    expect(rouge1("!!!", "???").fmeasure).toBe(0);
  });

  it("computes LCS lengths", () => {
    expect(lcsLength(["a", "b", "c", "b", "d", "a", "b"], ["b", "d", "c", "a", "b", "a"])).toBe(4);
    expect(lcsLength([], ["a"])).toBe(0);
  });
});

describe("exact match", () => {
  it("normalizes case, punctuation, articles and whitespace", () => {
    expect(normalizeAnswer("  The  Eiffel-Tower!  ")).toBe("eiffeltower");
    expect(normalizeAnswer("An apple, a day")).toBe("apple day");
    expect(normalizeAnswer("Theatre")).toBe("theatre");
    expect(exactMatch("The Eiffel Tower.", "eiffel   tower")).toBe(1);
    expect(exactMatch("yes", "yes, it is")).toBe(0);
    expect(exactMatch("the answer", "answer", { articles: false })).toBe(0);
  });

  it("averages over examples", () => {
    const s = scoreGenerations(["yes", "the cat sat"], ["Yes.", "a cat"]);
    expect(s.exactMatch).toBe(0.5);
    // second pair: ref [the, cat, sat], pred [a, cat]: overlap 1, P 1/2, R 1/3, F 0.4.
    expect(s.rouge1).toBeCloseTo((1 + 0.4) / 2, 12);
    expect(s.examples).toBe(2);
  });
});
