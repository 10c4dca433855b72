import { describe, expect, it } from "vitest";
import { aggregateLoss } from "../../src/evaluate/loss.js";

describe("aggregateLoss", () => {
  it("averages per example first, then over examples; token-weighted and per task as well", () => {
    // Hand-computed: example means 6/3 = 2, 1/1 = 1, 12/4 = 3.
    const s = aggregateLoss([
      { task: "a", lossSum: 6, tokens: 3 },
      { task: "b", lossSum: 1, tokens: 1 },
      { task: "a", lossSum: 12, tokens: 4 },
    ]);
    expect(s.loss).toBeCloseTo((2 + 1 + 3) / 3, 12);
    expect(s.tokenLoss).toBeCloseTo((6 + 1 + 12) / (3 + 1 + 4), 12);
    expect(s.perTask).toEqual({ a: 2.5, b: 1 });
    expect(Object.keys(s.perTask)).toEqual(["a", "b"]);
    expect(s.examples).toBe(3);
    expect(s.unfit).toBe(0);
  });

  it("counts unfit examples apart instead of scoring them 0 or NaN", () => {
    const s = aggregateLoss([
      { task: "a", lossSum: 4, tokens: 2 },
      { task: "a", lossSum: null, tokens: 0 },
      { task: "c", lossSum: null, tokens: 0 },
    ]);
    expect(s.loss).toBe(2);
    expect(s.tokenLoss).toBe(2);
    expect(s.perTask).toEqual({ a: 2 });
    expect(s.examples).toBe(1);
    expect(s.unfit).toBe(2);
  });

  it("gives null losses when nothing could be scored", () => {
    const s = aggregateLoss([{ task: "a", lossSum: null, tokens: 0 }]);
    expect(s.loss).toBeNull();
    expect(s.tokenLoss).toBeNull();
    expect(s.examples).toBe(0);
    expect(aggregateLoss([]).loss).toBeNull();
  });

  it("rejects a non-finite loss instead of averaging it", () => {
    expect(() => aggregateLoss([{ task: "a", lossSum: Number.NaN, tokens: 2 }])).toThrow(/non-finite/);
  });
});
