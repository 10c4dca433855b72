import { describe, expect, it } from "vitest";
import { symmetricEigenvalues } from "../../src/diversity/eigen.js";

/** Cyclic Jacobi rotations: an independent (slow) eigenvalue method to check against. */
function jacobiEigenvalues(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Float64Array.from({ length: n }, (_, i) => m[i * n + i]!).sort();
}

function symmetric(n: number, f: (i: number, j: number) => number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = f(i, j);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  return a;
}

describe("symmetricEigenvalues", () => {
  it("hand-computed cases", () => {
    expect(Array.from(symmetricEigenvalues(Float64Array.of(5), 1))).toEqual([5]);
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
    const two = symmetricEigenvalues(Float64Array.of(2, 1, 1, 2), 2);
    expect(two[0]).toBeCloseTo(1, 12);
    expect(two[1]).toBeCloseTo(3, 12);
    // diag(3, -1, 2) in any order.
    expect(Array.from(symmetricEigenvalues(Float64Array.of(3, 0, 0, 0, -1, 0, 0, 0, 2), 3))).toEqual([
      -1, 2, 3,
    ]);
    // The all-ones 4×4 matrix: 4 once and 0 three times.
    const ones = symmetricEigenvalues(new Float64Array(16).fill(1), 4);
    expect(ones[3]).toBeCloseTo(4, 12);
    for (let i = 0; i < 3; i++) expect(Math.abs(ones[i]!)).toBeLessThan(1e-12);
  });

  it("matches Jacobi rotations on dense, repeated-eigenvalue and tridiagonal matrices", () => {
    const cases: [number, (i: number, j: number) => number][] = [
      [3, (i, j) => Math.sin(i * 7 + j * 13 + 1)],
      [10, (i, j) => Math.sin(i * 7 + j * 13 + 1) * (i === j ? 3 : 1)],
      [40, (i, j) => Math.cos(i * 0.37 + j * 1.3)],
      [25, (i, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)],
      [12, (i, j) => (i === j ? 1 + (i % 3) : 0) + 0.5],
    ];
    for (const [n, f] of cases) {
      const a = symmetric(n, f);
      const got = symmetricEigenvalues(a, n);
      const want = jacobiEigenvalues(a, n);
      for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - want[i]!), `n=${n} i=${i}`).toBeLessThan(1e-9);
    }
  });

  it("converges at tiny scales and on clusters of zero eigenvalues", () => {
    // The Wilkinson shift divides by ~b²: here b² underflows to 0 (an earlier version produced NaN and looped).
    const tiny = symmetricEigenvalues(Float64Array.of(1e-200, 1e-170, 1e-170, 1e-200), 2);
    expect(tiny[0]! / -1e-170).toBeCloseTo(1, 9);
    expect(tiny[1]! / 1e-170).toBeCloseTo(1, 9);
    // Gram matrix of 120 rows that are copies of 3 directions (float32 products, like the matrix engine's):
    // rank 3, 117 eigenvalues at round-off level.
    const dirs = [
      [0.6, 0.8, 0, 0],
      [0, 0.6, 0.8, 0],
      [0.5, 0.5, 0.5, 0.5],
    ];
    const n = 120;
    const a = symmetric(n, (i, j) => {
      const u = dirs[i % 3]!;
      const v = dirs[(j * 7) % 3]!;
      return Math.fround(u.reduce((s, x, k) => s + x * v[k]!, 0)) / n;
    });
    const ev = symmetricEigenvalues(a, n);
    expect(ev.filter((v) => Math.abs(v) > 1e-9)).toHaveLength(3);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i]!;
    expect(ev.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 9);
  });

  it("a Gram matrix: eigenvalues sum to the trace and are non-negative", () => {
    const n = 60;
    const rows = 20;
    const x = Array.from({ length: rows * n }, (_, k) => Math.sin(k * 0.71));
    const a = symmetric(n, (i, j) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += x[r * n + i]! * x[r * n + j]!;
      return s;
    });
    const ev = symmetricEigenvalues(a, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i]!;
    expect(ev.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 8);
    expect(ev[0]!).toBeGreaterThan(-1e-9);
    expect(ev.filter((v) => v > 1e-8).length).toBeLessThanOrEqual(rows);
  });
});
