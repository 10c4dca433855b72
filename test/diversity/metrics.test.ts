import { describe, expect, it } from "vitest";
import { symmetricEigenvalues } from "../../src/diversity/eigen.js";
import {
  clusterSpread,
  entropy,
  meanPairwiseCosineDistance,
  vendiScore,
} from "../../src/diversity/metrics.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix, prng } from "../arrange/helpers.js";

const gemm = createTsGemm();
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe("meanPairwiseCosineDistance", () => {
  it("(1,0), (0,1), (-1,0): distances 1, 2, 1 -> 4/3", () => {
    const m = matrix([
      [1, 0],
      [0, 1],
      [-1, 0],
    ]);
    expect(meanPairwiseCosineDistance(m.data, all(3), 2)).toBeCloseTo(4 / 3, 12);
  });
  it("equals the brute-force mean over pairs, with a zero row (cosine 0 with all)", () => {
    const r = prng(5);
    const n = 30;
    const d = 7;
    const x = new Float32Array(n * d);
    for (let i = 1; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        x[i * d + k] = r() - 0.5;
        s += x[i * d + k]! ** 2;
      }
      for (let k = 0; k < d; k++) x[i * d + k]! /= Math.sqrt(s);
    }
    let sum = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        let dot = 0;
        for (let k = 0; k < d; k++) dot += x[i * d + k]! * x[j * d + k]!;
        sum += 1 - dot;
      }
    expect(meanPairwiseCosineDistance(x, all(n), d)).toBeCloseTo(sum / (n * (n - 1)), 6);
    expect(meanPairwiseCosineDistance(x, [3], d)).toBeNull();
  });
});

describe("entropy and cluster spread", () => {
  it("hand-computed", () => {
    expect(entropy([1, 1])).toBeCloseTo(Math.log(2), 12);
    expect(entropy([5, 0, 0])).toBe(0);
    // clusters [0, 0, 1, 2] of k = 3: p = 1/2, 1/4, 1/4 -> H = 1.5 ln 2.
    const s = clusterSpread([0, 0, 1, 2], all(4), 3);
    expect(s.used).toBe(3);
    expect(s.entropy).toBeCloseTo(1.5 * Math.log(2), 12);
    expect(s.normalizedEntropy).toBeCloseTo((1.5 * Math.log(2)) / Math.log(3), 12);
    expect(s.effective).toBeCloseTo(2 ** 1.5, 12);
    // Only rows 0 and 1 (both cluster 0): one cluster used, entropy 0.
    expect(clusterSpread([0, 0, 1, 2], [0, 1], 3)).toEqual({
      used: 1,
      entropy: 0,
      normalizedEntropy: 0,
      effective: 1,
    });
  });
});

describe("vendiScore", () => {
  it("identical rows: 1; orthogonal rows: n", async () => {
    const same = matrix([
      [0.6, 0.8],
      [0.6, 0.8],
      [0.6, 0.8],
    ]);
    expect(await vendiScore(same.data, all(3), 2, gemm)).toBeCloseTo(1, 6);
    const ortho = matrix([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(await vendiScore(ortho.data, all(3), 3, gemm)).toBeCloseTo(3, 6);
  });
  it("two rows with cosine 0.6: eigenvalues of K/2 are 0.8 and 0.2", async () => {
    const m = matrix([
      [1, 0],
      [0.6, 0.8],
    ]);
    const h = -(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2));
    expect(await vendiScore(m.data, all(2), 2, gemm)).toBeCloseTo(Math.exp(h), 6);
  });
  it("more rows than dimensions (d × d path): (1,0), (0,1) twice each -> 2; zero rows left out", async () => {
    const m = matrix([
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 0],
      [0, 1],
    ]);
    expect(await vendiScore(m.data, all(5), 2, gemm)).toBeCloseTo(2, 6);
  });
  it("the d × d path equals the n × n kernel's eigenvalues", async () => {
    const r = prng(9);
    const n = 40;
    const d = 6;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        x[i * d + k] = r() - 0.3;
        s += x[i * d + k]! ** 2;
      }
      for (let k = 0; k < d; k++) x[i * d + k]! /= Math.sqrt(s);
    }
    const kernel = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += x[i * d + k]! * x[j * d + k]!;
        kernel[i * n + j] = dot / n;
      }
    const ev = symmetricEigenvalues(kernel, n).map((v) => Math.max(0, v));
    expect(await vendiScore(x, all(n), d, gemm)).toBeCloseTo(Math.exp(entropy(ev)), 5);
  });
});
