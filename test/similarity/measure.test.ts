import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/arrange-embeddings.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { computeMeasure } from "../../src/similarity/measure.js";
import { trainTestAggregates } from "../../src/similarity/train-test-aggregates.js";
import { matrix, randomEmbeddings, singleTask } from "../arrange/helpers.js";

const gemm = createTsGemm();

describe("computeMeasure", () => {
  it("computeMeasure: wsd ordering equals the authors' form MD + (mean MD / mean AD)·AD up to scale", async () => {
    const train = randomEmbeddings(60, 8, { d: 5 });
    const test = randomEmbeddings(6, 9, { d: 5 });
    const m = await computeMeasure(train, test, "wsd", { gemm });
    const agg = await trainTestAggregates(train, test, { cosine: ["avg", "min"] }, { gemm });
    const ad = agg.cosine.avg!;
    const md = agg.cosine.min!;
    const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
    const authors = Array.from(md, (x, i) => x + (mean(md) / mean(ad)) * ad[i]!);
    const s = mean(md) / mean(ad); // WSD · s = authors' form, and s > 0 here
    expect(s).toBeGreaterThan(0);
    for (let i = 0; i < 60; i++) expect(m.values[i]! * s).toBeCloseTo(authors[i]!, 10);
    expect(m.wsdWeight).toBeCloseTo(mean(ad) / mean(md), 12);
  });
  it("WSD with mean cosine-min 0 falls back to w = 1 and says so", async () => {
    // Train rows orthogonal to the single test point: every cosine is 0.
    const tr = matrix([
      [0, 1],
      [0, -1],
    ]);
    const r = await arrangeEmbeddings(tr, matrix([[1, 0]]), singleTask(2), {
      strategy: "rank",
      seed: 1,
      gemm,
    });
    expect(r.wsdWeight).toBe(1);
    expect(r.warnings?.join("\n")).toContain("w = 1");
  });
});
