import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import { streamTma } from "../../src/arrange/tma-stream.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { halfMatrix, halfToFloat32 } from "../../src/linalg/half.js";
import { randomHalf } from "../linalg/half-helpers.js";
import { singleTask } from "./helpers.js";

const gemm = createTsGemm();
const never = () => {
  throw new Error("the float16 matrix was converted to float32 whole");
};

describe("streaming TMA on float16 embeddings kept as float16", () => {
  it.each([
    [300, 20, 8, false, 4],
    [300, 20, 8, true, 4],
    [500, 37, 16, false, 1],
    [120, 9, 5, false, 64],
  ])(
    "n=%i m=%i d=%i farthest=%s list size %i: identical to the converted float32 run, never converted whole",
    async (n, m, d, farthest, cap) => {
      const tb = randomHalf(n, d, n + m);
      const qb = randomHalf(m, d, 7 * m);
      const opts = { gemm, similarity: farthest, storeBytes: 1e8, initialCapacity: cap, blockRows: 37 };
      const half = await streamTma(
        halfMatrix(tb, n, d, never),
        { data: halfToFloat32(qb), rows: m, cols: d },
        opts,
      );
      const full = await streamTma(
        { data: halfToFloat32(tb), rows: n, cols: d },
        { data: halfToFloat32(qb), rows: m, cols: d },
        opts,
      );
      expect(Array.from(half.run.sequence)).toEqual(Array.from(full.run.sequence));
      expect(half.run.roundSizes).toEqual(full.run.roundSizes);
      expect(Array.from(half.run.pickedBy)).toEqual(Array.from(full.run.pickedBy));
      expect(Array.from(half.run.key)).toEqual(Array.from(full.run.key));
      expect(Array.from(half.nearestTest)).toEqual(Array.from(full.nearestTest));
      expect(Array.from(half.nearestDistance)).toEqual(Array.from(full.nearestDistance));
      if (cap <= 4) expect(half.run.stats.passes).toBeGreaterThan(0);
    },
  );

  it("arrangeEmbeddings with the streaming engine validates, arranges and selects without converting", async () => {
    const n = 200;
    const d = 6;
    const tb = randomHalf(n, d, 11);
    const qb = randomHalf(15, d, 12);
    const test = { data: halfToFloat32(qb), rows: 15, cols: d };
    const opts = { strategy: "tma" as const, tmaEngine: "stream" as const, gemm, seed: 1 };
    const a = await arrangeEmbeddings(halfMatrix(tb, n, d, never), test, singleTask(n), opts);
    const b = await arrangeEmbeddings(
      { data: halfToFloat32(tb), rows: n, cols: d },
      test,
      singleTask(n),
      opts,
    );
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect(Array.from(a.round!)).toEqual(Array.from(b.round!));
    expect(Array.from(a.nearestDistance!)).toEqual(Array.from(b.nearestDistance!));
  });
});
