import { describe, expect, it } from "vitest";
import { groupMeans } from "../../src/linalg/group-means.js";
import { createKeyHeap, keyHeapPush, keyHeapSortAscending } from "../../src/linalg/key-heap.js";
import { meanRows } from "../../src/linalg/mean-rows.js";
import { normalizeRows } from "../../src/linalg/normalize-rows.js";
import { createSortPairsScratch, sortableBits, sortPairsByKey } from "../../src/linalg/sort-pairs.js";
import { squaredNorms } from "../../src/linalg/squared-norms.js";
import { prng } from "../arrange/helpers.js";

describe("row helpers", () => {
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
  it("squaredNorms, meanRows, groupMeans", () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(squaredNorms(m, 3, 2))).toEqual([5, 25, 61]);
    expect(Array.from(meanRows(m, 3, 2))).toEqual([3, 4]);
    expect(Array.from(groupMeans(m, 3, 2, Int32Array.from([1, 0, 1]), 3))).toEqual([3, 4, 3, 4, 0, 0]);
    expect(() => groupMeans(m, 3, 2, Int32Array.from([0, 5, 0]), 2)).toThrow(RangeError);
  });
});

describe("key heap (top-k with ties to the lower id)", () => {
  it("keeps the k smallest (key, id) pairs and sorts them", () => {
    const r = prng(4);
    for (const k of [1, 3, 10, 50]) {
      const keys = Array.from({ length: 200 }, () => Math.floor(r() * 20) / 4);
      const h = createKeyHeap(k);
      for (const [i, v] of keys.entries()) keyHeapPush(h, v, i);
      keyHeapSortAscending(h);
      const want = keys
        .map((v, i) => [v, i] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, k);
      expect(Array.from(h.ids.subarray(0, h.size))).toEqual(want.map((p) => p[1]));
      expect(Array.from(h.keys.subarray(0, h.size))).toEqual(want.map((p) => p[0]));
    }
  });
});

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
