import { describe, expect, it } from "vitest";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { cosineDistanceColumns } from "../../src/similarity/distance-columns.js";
import { nearestCandidates } from "../../src/similarity/nearest-candidates.js";
import { exactCosineColumns, randomEmbeddings } from "../arrange/helpers.js";

const gemm = createTsGemm();

describe("cosineDistanceColumns", () => {
  it("is the test-major cosine distance matrix, in any block size", async () => {
    const train = randomEmbeddings(77, 1, { d: 6 });
    const test = randomEmbeddings(5, 2, { d: 6 });
    const exact = exactCosineColumns(train, test);
    for (const blockRows of [1, 8, 100]) {
      const r = await cosineDistanceColumns(train, test, { gemm, blockRows });
      expect(r.columns.length).toBe(5);
      for (let j = 0; j < 5; j++)
        for (let i = 0; i < 77; i++) expect(r.columns[j]![i]).toBeCloseTo(exact[j]![i]!, 6);
      for (let i = 0; i < 77; i++) {
        let best = 0;
        for (let j = 1; j < 5; j++) if (exact[j]![i]! < exact[best]![i]!) best = j;
        expect(r.nearestTest[i]).toBe(best);
        expect(r.nearestDistance[i]).toBeCloseTo(exact[best]![i]!, 6);
      }
      const sim = await cosineDistanceColumns(train, test, { gemm, blockRows, similarity: true });
      for (let j = 0; j < 5; j++)
        for (let i = 0; i < 77; i++) expect(sim.columns[j]![i]).toBe(-r.columns[j]![i]!);
    }
  });
});

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
