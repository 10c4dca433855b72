import { describe, expect, it } from "vitest";
import { ArrangeError, usageError } from "../../src/core/errors.js";
import { createRng, shuffleInPlace } from "../../src/core/rng.js";

describe("createRng", () => {
  it("same seed, same stream; different seed or fork label, different stream", () => {
    const draw = (seed: number, label?: string) => {
      const base = createRng(seed);
      const r = label === undefined ? base : base.fork(label);
      return Array.from({ length: 32 }, () => r.int(1000));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42, "tma")).toEqual(draw(42, "tma"));
    expect(draw(42, "tma")).not.toEqual(draw(42, "rank"));
  });

  it("int(n) stays in [0, n) and covers it", () => {
    const r = createRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.int(10);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(10);
      seen.add(x);
    }
    expect(seen.size).toBe(10);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => createRng(1.5)).toThrow(RangeError);
  });

  it("shuffleInPlace is a seeded permutation", () => {
    const a = shuffleInPlace(
      Int32Array.from({ length: 100 }, (_, i) => i),
      createRng(3),
    );
    const b = shuffleInPlace(
      Int32Array.from({ length: 100 }, (_, i) => i),
      createRng(3),
    );
    expect(Array.from(a)).toEqual(Array.from(b));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe("ArrangeError.describe", () => {
  it("puts file:line first and the fix on its own line", () => {
    const e = new ArrangeError("input", "malformed JSON", { file: "a.jsonl", line: 3, fix: "repair line 3" });
    expect(e.describe()).toBe("a.jsonl:3: malformed JSON\n  fix: repair line 3");
    expect(usageError("bad value", "--budget", "pass a number").describe()).toBe(
      "bad value (--budget)\n  fix: pass a number",
    );
  });
});
