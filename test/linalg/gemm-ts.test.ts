import { describe, expect, it } from "vitest";
import { createTsGemm, gemmNT } from "../../src/linalg/gemm-ts.js";
import { naive, randomArray, shapes } from "./helpers.js";

describe("TypeScript gemm", () => {
  it("matches the naive product for odd shapes and alphas", () => {
    for (const [ra, rb, d] of shapes) {
      for (const alpha of [1, -1, -2, 0.5]) {
        const a = randomArray(ra * d, ra + d);
        const b = randomArray(rb * d, rb + d + 1);
        const out = new Float32Array(ra * rb);
        gemmNT(a, ra, b, rb, d, alpha, out);
        const ref = naive(a, ra, b, rb, d, alpha);
        for (let t = 0; t < out.length; t++) expect(out[t]).toBeCloseTo(ref[t]!, 5);
      }
    }
  });
  it("checks shapes", async () => {
    const g = createTsGemm();
    await expect(g.multiplyNT(new Float32Array(5), 2, new Float32Array(6), 2, 3)).rejects.toThrow(RangeError);
    await expect(
      g.multiplyNT(new Float32Array(6), 2, new Float32Array(6), 2, 3, 1, new Float32Array(3)),
    ).rejects.toThrow(RangeError);
  });
});
