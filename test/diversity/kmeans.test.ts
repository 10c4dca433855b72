import { describe, expect, it } from "vitest";
import { kMeans } from "../../src/diversity/kmeans.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix, prng } from "../arrange/helpers.js";

const gemm = createTsGemm();

describe("kMeans", () => {
  it("separates two blobs, is deterministic by seed, and stops at the distinct rows", async () => {
    const rows: number[][] = [];
    const r = prng(2);
    for (let i = 0; i < 20; i++) rows.push(i < 10 ? [1, 0.05 * r()] : [0.05 * r(), 1]);
    const m = matrix(rows);
    const a = await kMeans({ x: m.data, n: 20, d: 2, k: 2, seed: 1, gemm });
    expect(a.converged).toBe(true);
    expect(Array.from(a.sizes).sort()).toEqual([10, 10]);
    for (let i = 1; i < 10; i++) expect(a.assign[i]).toBe(a.assign[0]);
    for (let i = 11; i < 20; i++) expect(a.assign[i]).toBe(a.assign[10]);
    expect(a.assign[0]).not.toBe(a.assign[10]);
    expect(await kMeans({ x: m.data, n: 20, d: 2, k: 2, seed: 1, gemm })).toEqual(a);
    const three = matrix([
      [1, 0],
      [0, 1],
      [1, 0],
      [-1, 0],
      [0, 1],
    ]);
    const b = await kMeans({ x: three.data, n: 5, d: 2, k: 4, seed: 0, gemm });
    expect(b.k).toBe(3);
    expect(b.inertia).toBeCloseTo(0, 9);
  });
});
