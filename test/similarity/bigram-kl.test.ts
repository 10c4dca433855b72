import { describe, expect, it } from "vitest";
import { prefixBigramKl } from "../../src/similarity/bigram-kl.js";

const EPS = 1e-10;

describe("prefixBigramKl", () => {
  it("bigram KL on hand-computed counts (a bigram repeated in one text counts twice)", () => {
    // Prefix 1: "a b a b" -> {a b: 2, b a: 1}; test "a b c" -> {a b: 1/2, b c: 1/2}.
    const kl1 = (2 / 3) * Math.log(2 / 3 / (0.5 + EPS)) + (1 / 3) * Math.log(1 / 3 / EPS);
    // Prefix 2 adds "c d": {a b: 2/4, b a: 1/4, c d: 1/4}.
    const kl2 = 0.5 * Math.log(0.5 / (0.5 + EPS)) + 2 * 0.25 * Math.log(0.25 / EPS);
    const curves = prefixBigramKl(["a b a b", "C  d"], ["a b c"], Int32Array.from([0]), 1, [1, 2], EPS);
    expect(curves).toHaveLength(2);
    for (const c of curves) {
      expect(c[0]).toBeCloseTo(kl1, 9);
      expect(c[1]).toBeCloseTo(kl2, 9);
    }
  });
});
