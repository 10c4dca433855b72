import { describe, expect, it } from "vitest";
import { meanRows } from "../../src/linalg/mean-rows.js";

describe("meanRows", () => {
  it("is the mean of the rows", () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(meanRows(m, 3, 2))).toEqual([3, 4]);
  });
});
