import { describe, expect, it } from "vitest";
import { createKeyHeap, keyHeapPush, keyHeapSortAscending } from "../../src/linalg/key-heap.js";
import { prng } from "../arrange/helpers.js";

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
