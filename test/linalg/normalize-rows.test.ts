import { describe, expect, it } from "vitest";
import { normalizeRows } from "../../src/linalg/normalize-rows.js";

describe("normalizeRows", () => {
  it("normalizeRows skips unit rows and copies otherwise; zero rows stay zero", () => {
    const unit = Float32Array.from([0.6, 0.8, 1, 0, Math.SQRT1_2, Math.SQRT1_2]);
    expect(normalizeRows(unit, 3, 2)).toBe(unit);
    const raw = Float32Array.from([3, 4, 0, 0, 0, 2]);
    const n = normalizeRows(raw, 3, 2);
    expect(n).not.toBe(raw);
    expect(Array.from(raw)).toEqual([3, 4, 0, 0, 0, 2]);
    expect(Array.from(n)).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0, 0, 1]);
    const almost = Float32Array.from([1.00005, 0]);
    expect(normalizeRows(almost, 1, 2)).toBe(almost);
  });
});
