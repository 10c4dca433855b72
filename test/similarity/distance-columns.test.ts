import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/arrange-embeddings.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { cosineDistanceColumns } from "../../src/similarity/distance-columns.js";
import { exactCosineColumns, matrix, randomEmbeddings, singleTask } from "../arrange/helpers.js";

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

describe("degenerate but valid inputs", () => {
  it("zero vectors have cosine 0 to everything", async () => {
    const tr = matrix([
      [0, 0],
      [1, 0],
    ]);
    const r = await arrangeEmbeddings(tr, matrix([[-1, 0]]), singleTask(2), {
      strategy: "tma",
      seed: 1,
      gemm,
    });
    // d(row 0) = 0, d(row 1) = 1: row 0 first.
    expect(Array.from(r.order)).toEqual([0, 1]);
  });
});
