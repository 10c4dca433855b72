import { describe, expect, it } from "vitest";
import { createSortPairsScratch, sortableBits, sortPairsByKey } from "../../src/linalg/sort-pairs.js";
import { prng } from "../arrange/helpers.js";

describe("sortPairsByKey", () => {
  it("sorts by key, stable, -0 equal to +0, in both insertion and radix paths", () => {
    const r = prng(9);
    const scratch = createSortPairsScratch(4);
    for (const count of [0, 1, 5, 47, 48, 100, 1000, 20000]) {
      for (const levels of [0, 3, 40]) {
        const keys = Float32Array.from({ length: count }, () => {
          if (levels > 0) {
            const v = Math.floor(r() * levels) - Math.floor(levels / 2);
            return v === 0 && r() < 0.5 ? -0 : v / 8;
          }
          return r() < 0.01 ? Number.POSITIVE_INFINITY : (r() - 0.5) * 1e3 * r() ** 8;
        });
        const ids = Int32Array.from({ length: count }, (_, i) => i);
        const want = Array.from(keys, (v, i) => [v, i] as const).sort((a, b) =>
          a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1],
        );
        const k2 = keys.slice();
        const i2 = ids.slice();
        sortPairsByKey(k2, i2, count, scratch);
        expect(Array.from(i2)).toEqual(want.map((p) => p[1]));
        expect(Array.from(k2, (v) => v + 0)).toEqual(want.map((p) => p[0] + 0)); // -0 may come back as +0
      }
    }
  });
  it("sorts a prefix of a subarray view and leaves the rest of the buffer alone", () => {
    const r = prng(21);
    const scratch = createSortPairsScratch();
    const whole = Float32Array.from({ length: 400 }, () => (r() - 0.5) * 10);
    const wholeIds = Int32Array.from({ length: 400 }, (_, i) => i);
    const before = whole.slice();
    const keys = whole.subarray(37, 337);
    const ids = wholeIds.subarray(37, 337);
    const count = 250;
    const want = Array.from(keys.subarray(0, count), (v, i) => [v, ids[i]!] as const).sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1],
    );
    sortPairsByKey(keys, ids, count, scratch);
    expect(Array.from(ids.subarray(0, count))).toEqual(want.map((p) => p[1]));
    expect(Array.from(keys.subarray(0, count))).toEqual(want.map((p) => p[0]));
    for (let i = 0; i < 400; i++) {
      if (i < 37 || i >= 37 + count) expect(whole[i]).toBe(before[i]);
    }
  });
  it("sortableBits preserves order", () => {
    const vals = [Number.NEGATIVE_INFINITY, -3.5, -1e-30, -0, 0, 1e-30, 2, Number.POSITIVE_INFINITY];
    const bits = vals.map(sortableBits);
    for (let k = 1; k < vals.length; k++) {
      if (vals[k] === vals[k - 1]) expect(bits[k]).toBe(bits[k - 1]);
      else expect(bits[k]!).toBeGreaterThan(bits[k - 1]!);
    }
  });
});
