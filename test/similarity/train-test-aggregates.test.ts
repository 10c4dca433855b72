import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import type { Aggregate, Matrix } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { trainTestAggregates } from "../../src/similarity/train-test-aggregates.js";
import { matrix, randomEmbeddings } from "../arrange/helpers.js";

const gemm = createTsGemm();
const ALL: Aggregate[] = ["min", "max", "avg", "centroid"];

/** Brute force in float64. */
function reference(train: Matrix, test: Matrix) {
  const d = train.cols;
  const row = (m: Matrix, i: number) => Array.from(m.data.subarray(i * d, (i + 1) * d));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0);
  const norm = (a: number[]) => Math.sqrt(dot(a, a));
  const cos = (a: number[], b: number[]) =>
    norm(a) > 0 && norm(b) > 0 ? dot(a, b) / (norm(a) * norm(b)) : 0;
  const euc = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, x, k) => s + (x - b[k]!) ** 2, 0));
  const tests = Array.from({ length: test.rows }, (_, j) => row(test, j));
  const centroid = tests[0]!.map((_, k) => tests.reduce((s, t) => s + t[k]!, 0) / tests.length);
  return Array.from({ length: train.rows }, (_, i) => {
    const x = row(train, i);
    const c = tests.map((t) => -cos(x, t));
    const e = tests.map((t) => euc(x, t));
    const avg = (v: number[]) => v.reduce((s, y) => s + y, 0) / v.length;
    return {
      cosine: { min: Math.min(...c), max: Math.max(...c), avg: avg(c), centroid: -cos(x, centroid) },
      euclidean: { min: Math.min(...e), max: Math.max(...e), avg: avg(e), centroid: euc(x, centroid) },
      nearest: c.indexOf(Math.min(...c)),
    };
  });
}

describe("trainTestAggregates", () => {
  it("hand example with vectors that are not unit length", async () => {
    // train x = (3, 4); test t0 = (1, 0), t1 = (0, 2). cos: 0.6, 0.8 → distances −0.6, −0.8.
    // Euclidean: |(2, 4)| = √20, |(3, 2)| = √13. Centroid (0.5, 1): cos = (1.5 + 4) / (5 · √1.25), |(2.5, 3)| = √15.25.
    const r = await trainTestAggregates(
      matrix([[3, 4]]),
      matrix([
        [1, 0],
        [0, 2],
      ]),
      { cosine: ALL, euclidean: ALL, nearest: true },
      { gemm },
    );
    expect(r.cosine.min![0]).toBeCloseTo(-0.8, 6);
    expect(r.cosine.max![0]).toBeCloseTo(-0.6, 6);
    expect(r.cosine.avg![0]).toBeCloseTo(-0.7, 6);
    expect(r.cosine.centroid![0]).toBeCloseTo(-5.5 / (5 * Math.sqrt(1.25)), 6);
    expect(r.euclidean.min![0]).toBeCloseTo(Math.sqrt(13), 5);
    expect(r.euclidean.max![0]).toBeCloseTo(Math.sqrt(20), 5);
    expect(r.euclidean.avg![0]).toBeCloseTo((Math.sqrt(13) + Math.sqrt(20)) / 2, 5);
    expect(r.euclidean.centroid![0]).toBeCloseTo(Math.sqrt(15.25), 5);
    expect(r.nearestTest![0]).toBe(1);
    expect(r.nearestDistance![0]).toBeCloseTo(-0.8, 6);
  });

  it("nearest test row: ties go to the lowest test row", async () => {
    const r = await trainTestAggregates(
      matrix([[1, 0]]),
      matrix([
        [0, 1],
        [1, 0],
        [2, 0],
      ]),
      { nearest: true },
      { gemm },
    );
    expect(r.nearestTest![0]).toBe(1);
  });

  it("computes only what is asked", async () => {
    const r = await trainTestAggregates(matrix([[1, 0]]), matrix([[0, 1]]), { cosine: ["avg"] }, { gemm });
    expect(Object.keys(r.cosine)).toEqual(["avg"]);
    expect(Object.keys(r.euclidean)).toEqual([]);
    expect(r.nearestTest).toBeUndefined();
  });

  it("matches brute force on random data for any block size, and reports progress", async () => {
    const train = randomEmbeddings(103, 5, { d: 7 });
    // Raw (non-unit) vectors: scale rows so Euclidean and cosine differ.
    for (let i = 0; i < train.rows; i++) for (let k = 0; k < 7; k++) train.data[i * 7 + k]! *= 1 + (i % 4);
    const test = randomEmbeddings(11, 6, { d: 7 });
    const ref = reference(train, test);
    for (const blockRows of [1, 10, 64, 1000]) {
      const events: ProgressEvent[] = [];
      const r = await trainTestAggregates(
        train,
        test,
        { cosine: ALL, euclidean: ALL, nearest: true },
        { gemm, blockRows, onProgress: (e) => events.push(e) },
      );
      for (let i = 0; i < train.rows; i++) {
        for (const a of ALL) {
          expect(r.cosine[a]![i]).toBeCloseTo(ref[i]!.cosine[a], 5);
          expect(r.euclidean[a]![i]).toBeCloseTo(ref[i]!.euclidean[a], 4);
        }
        expect(r.nearestTest![i]).toBe(ref[i]!.nearest);
      }
      expect(events.at(-1)).toMatchObject({ stage: "distances", done: 103, total: 103, unit: "rows" });
      expect(events.length).toBe(Math.ceil(103 / blockRows));
    }
  });
});
