import { describe, expect, it } from "vitest";
import { greedySelect } from "../../src/diversity/greedy.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix, prng } from "../arrange/helpers.js";

const gemm = createTsGemm();

/** Plain greedy: every step scores every row from scratch (O(n·t·d) per step). */
function naiveGreedy(
  x: Float32Array,
  n: number,
  d: number,
  budget: number,
  weight: number,
  rel?: Float64Array,
  start?: number,
) {
  const chosen: number[] = [];
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! * x[j * d + k]!;
    return s;
  };
  while (chosen.length < budget) {
    if (chosen.length === 0 && start !== undefined) {
      chosen.push(start);
      continue;
    }
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (chosen.includes(i)) continue;
      let red = -1;
      for (const c of chosen) red = Math.max(red, dot(i, c));
      const s = (rel === undefined ? 0 : (1 - weight) * rel[i]!) - weight * red;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    chosen.push(best);
  }
  return chosen;
}

function randomUnit(n: number, d: number, seed: number): Float32Array {
  const r = prng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) {
      x[i * d + k] = r() - 0.5;
      s += x[i * d + k]! ** 2;
    }
    for (let k = 0; k < d; k++) x[i * d + k]! /= Math.sqrt(s);
  }
  return x;
}

describe("greedySelect", () => {
  it("k-center on the unit circle, by hand", async () => {
    // Angles 0°, 10°, 90°, 180°, 185°, 270°. From row 0 the farthest is 180° (row 3), then 90° vs 270°: both at
    // cosine 0 to the nearest center, tie -> lower index (row 2), then row 5 (270°), then 185° (row 4, cos(5°) to row 3).
    const rad = (a: number) => (a * Math.PI) / 180;
    const m = matrix([
      [1, 0],
      [Math.cos(rad(10)), Math.sin(rad(10))],
      [0, 1],
      [-1, 0],
      [Math.cos(rad(185)), Math.sin(rad(185))],
      [0, -1],
    ]);
    const s = await greedySelect({
      x: m.data,
      n: 6,
      d: 2,
      budget: 5,
      weight: 1,
      start: 0,
      gemm,
      hot: 2,
      lag: 1,
    });
    expect(Array.from(s.rows)).toEqual([0, 3, 2, 5, 1]);
    expect(s.redundancy[1]).toBeCloseTo(-1, 6);
    expect(s.redundancy[2]).toBeCloseTo(0, 6);
    // Left: row 4 (185°), 5° from row 3.
    expect(s.coverRadius).toBeCloseTo(1 - Math.cos((5 * Math.PI) / 180), 6);
  });

  it("λ = 0 takes rows by relevance; λ = 0.5 trades it against redundancy (by hand)", async () => {
    // Rows: A=(1,0), A'=(1,0) duplicate, B=(0,1). Relevance 0.9, 0.9, 0.5.
    const m = matrix([
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    const rel = Float64Array.of(0.9, 0.9, 0.5);
    const pure = await greedySelect({ x: m.data, n: 3, d: 2, budget: 2, weight: 0, relevance: rel, gemm });
    expect(Array.from(pure.rows)).toEqual([0, 1]);
    // λ = 0.5: step 1: 0.5·0.9 + 0.5 = 0.95 for A (lowest index). Step 2: A' = 0.45 − 0.5·1 = −0.05, B = 0.25 − 0 = 0.25.
    const mmr = await greedySelect({ x: m.data, n: 3, d: 2, budget: 2, weight: 0.5, relevance: rel, gemm });
    expect(Array.from(mmr.rows)).toEqual([0, 2]);
    expect(mmr.score[0]).toBeCloseTo(0.95, 9);
    expect(mmr.score[1]).toBeCloseTo(0.25, 9);
  });

  it("matches the plain greedy on random data for every batch size", async () => {
    const n = 300;
    const d = 8;
    const x = randomUnit(n, d, 4);
    const r = prng(8);
    const rel = Float64Array.from({ length: n }, () => r());
    const kcWant = naiveGreedy(x, n, d, 60, 1, undefined, 17);
    const mmrWant = naiveGreedy(x, n, d, 40, 0.3, rel);
    for (const [hot, lag] of [
      [1, 0],
      [5, 2],
      [64, 16],
      [1000, 0],
      [3, 1000],
    ] as const) {
      const kc = await greedySelect({ x, n, d, budget: 60, weight: 1, start: 17, gemm, hot, lag });
      expect(Array.from(kc.rows)).toEqual(kcWant);
      const mmr = await greedySelect({ x, n, d, budget: 40, weight: 0.3, relevance: rel, gemm, hot, lag });
      expect(Array.from(mmr.rows)).toEqual(mmrWant);
      expect(mmr.coverRadius).toBeNull();
    }
    // The k-center radius: the largest distance from an unselected row to its nearest selected row.
    const kc = await greedySelect({ x, n, d, budget: 60, weight: 1, start: 17, gemm });
    let radius = 0;
    for (let i = 0; i < n; i++) {
      if (kcWant.includes(i)) continue;
      let sim = -1;
      for (const c of kcWant) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x[i * d + k]! * x[c * d + k]!;
        sim = Math.max(sim, s);
      }
      radius = Math.max(radius, 1 - sim);
    }
    expect(kc.coverRadius).toBeCloseTo(radius, 5);
    const everything = await greedySelect({ x, n, d, budget: n, weight: 1, start: 0, gemm, hot: 7 });
    expect(new Set(everything.rows).size).toBe(n);
    expect(everything.coverRadius).toBe(0);
  });
});
