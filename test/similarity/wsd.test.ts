import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/arrange-embeddings.js";
import type { Matrix } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { trainTestAggregates } from "../../src/similarity/train-test-aggregates.js";
import { weightedSimilarityDistance } from "../../src/similarity/wsd.js";
import { randomEmbeddings, singleTask } from "../arrange/helpers.js";

const gemm = createTsGemm();
const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;

/**
 * Centred embeddings: training rows from one set of clusters, test rows from another, both shifted by the
 * joint mean (as a user may do before measuring). The training set then sits on the opposite side of the
 * test set on average (mean cosine < 0, so mean(AD) > 0) while every training row still has a test row
 * it points towards (mean(MD) < 0).
 */
function centred(): { train: Matrix; test: Matrix } {
  const d = 6;
  const tr = randomEmbeddings(120, 21, { d, clusters: 3, spread: 0.6 });
  const te = randomEmbeddings(30, 22, { d, clusters: 2, spread: 0.6 });
  const mu = new Float64Array(d);
  for (const m of [tr, te]) for (let i = 0; i < m.data.length; i++) mu[i % d]! += m.data[i]!;
  for (let k = 0; k < d; k++) mu[k] = mu[k]! / (tr.rows + te.rows);
  const shift = (m: Matrix): Matrix => ({ ...m, data: m.data.map((v, i) => v - mu[i % d]!) });
  return { train: shift(tr), test: shift(te) };
}

describe("WSD weight is a magnitude (paper Eq. 14: both terms of the same magnitude)", () => {
  it("w = |mean(AD) / mean(MD)| when the means differ in sign", () => {
    const ad = Float64Array.from([0.3, 0.1, 0.5]);
    const md = Float64Array.from([-0.6, -0.2, -0.4]);
    const r = weightedSimilarityDistance(ad, md);
    expect(r.weight).toBeCloseTo(0.3 / 0.4, 12);
    for (let k = 0; k < 3; k++) expect(r.values[k]).toBeCloseTo(ad[k]! + 0.75 * md[k]!, 12);
    // Same AD, nearer nearest test row (smaller MD): never a larger WSD.
    const s = weightedSimilarityDistance(
      Float64Array.from([0.2, 0.2, 0.9]),
      Float64Array.from([-0.9, -0.1, -0.1]),
    );
    expect(s.values[0]!).toBeLessThan(s.values[1]!);
  });

  it("centred embeddings: nearest-first by WSD never puts a row after one it is nearer than on both terms", async () => {
    const { train, test } = centred();
    const agg = await trainTestAggregates(train, test, { cosine: ["avg", "min"] }, { gemm });
    const ad = agg.cosine.avg!;
    const md = agg.cosine.min!;
    // The situation of the fault: mean(AD) > 0 > mean(MD).
    expect(mean(ad)).toBeGreaterThan(0);
    expect(mean(md)).toBeLessThan(0);
    const r = await arrangeEmbeddings(train, test, singleTask(train.rows), {
      strategy: "rank",
      measure: "wsd",
      seed: 1,
      gemm,
    });
    expect(r.wsdWeight).toBeCloseTo(Math.abs(mean(ad) / mean(md)), 12);
    expect(r.wsdWeight).toBeGreaterThan(0);
    const order = Array.from(r.order);
    expect(order).toHaveLength(train.rows);
    // For every pair placed p before q, q must not be strictly nearer on both AD and MD.
    let dominatedPairs = 0;
    for (let p = 0; p < order.length; p++) {
      for (let q = p + 1; q < order.length; q++) {
        const a = order[p]!;
        const b = order[q]!;
        if (ad[b]! < ad[a]! && md[b]! < md[a]!) dominatedPairs++;
      }
    }
    expect(dominatedPairs).toBe(0);
    // The first row is nearer its nearest test row than the last one.
    expect(md[order[0]!]!).toBeLessThan(md[order[order.length - 1]!]!);
  });
});

describe("weightedSimilarityDistance", () => {
  it("WSD = AD + w·MD with w = mean(AD)/mean(MD)", () => {
    const ad = Float64Array.from([-0.7, -0.5, 0.3]);
    const md = Float64Array.from([-0.9, -0.6, -0.3]);
    const r = weightedSimilarityDistance(ad, md);
    expect(r.weight).toBeCloseTo(-0.9 / 3 / (-1.8 / 3), 12);
    expect(r.degenerate).toBe(false);
    for (let k = 0; k < 3; k++) expect(r.values[k]).toBeCloseTo(ad[k]! + 0.5 * md[k]!, 12);
    const z = weightedSimilarityDistance(Float64Array.from([1, -1]), Float64Array.from([0.5, -0.5]));
    expect(z.degenerate).toBe(true);
    expect(z.weight).toBe(1);
  });
});
