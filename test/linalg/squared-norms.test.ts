import { describe, expect, it } from "vitest";
import { squaredNorms } from "../../src/linalg/squared-norms.js";

describe("squaredNorms", () => {
  it("sums the squares of each row", () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(squaredNorms(m, 3, 2))).toEqual([5, 25, 61]);
  });
});
