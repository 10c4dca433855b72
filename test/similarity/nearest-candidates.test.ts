import { describe, expect, it } from "vitest";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { nearestCandidates } from "../../src/similarity/nearest-candidates.js";
import { exactCosineColumns, randomEmbeddings } from "../arrange/helpers.js";

const gemm = createTsGemm();

describe("nearestCandidates", () => {
  it("keeps each test row's k smallest (key, row) pairs, ties to the lower row", async () => {
    const train = randomEmbeddings(500, 3, { quantized: true });
    const test = randomEmbeddings(7, 4, { quantized: true });
    const exact = exactCosineColumns(train, test);
    for (const similarity of [false, true]) {
      for (const k of [1, 13, 250, 600]) {
        const r = await nearestCandidates(train, test, k, { gemm, blockRows: 64, similarity });
        for (let j = 0; j < 7; j++) {
          const keys = Array.from(exact[j]!, (v) => (similarity ? -v : v));
          const want = keys
            .map((v, i) => [v, i] as const)
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
            .slice(0, Math.min(k, 500));
          expect(Array.from(r.lists[j]!.ids)).toEqual(want.map((p) => p[1]));
          expect(Array.from(r.lists[j]!.keys, (v) => v + 0)).toEqual(want.map((p) => p[0] + 0)); // -0 == +0
        }
      }
    }
  });
});
