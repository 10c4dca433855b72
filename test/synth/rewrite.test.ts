import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isArrangeError } from "../../src/core/errors.js";
import { createRng } from "../../src/core/rng.js";
import { readDataset } from "../../src/data/read.js";
import {
  applyRule,
  domainString,
  generateRewrite,
  REWRITE_DEFAULTS,
  type RewriteOptions,
  ruleCounts,
  stringWithout,
} from "../../src/synth/rewrite.js";
import { writeRewrite } from "../../src/synth/write.js";
import { tempDir } from "../helpers/tmp.js";

/** Leftmost replacement written independently of applyRule: scan start positions from the left. */
function naiveRewrite(z: string, x: string, y: string): string {
  for (let i = 0; i + x.length <= z.length; i++) {
    let match = true;
    for (let k = 0; k < x.length; k++) if (z[i + k] !== x[k]) match = false;
    if (match) return z.slice(0, i) + y + z.slice(i + x.length);
  }
  return z;
}

const small: RewriteOptions = {
  ...REWRITE_DEFAULTS,
  alphabet: 4,
  stringLength: [3, 10],
  patternLength: [1, 4],
  rules: 37,
  budget: 500,
  noopShare: 0.3,
  testDomains: REWRITE_DEFAULTS.domains,
  testRules: 20,
  testPerRule: 7,
  seed: 11,
};

describe("applyRule", () => {
  it("replaces the leftmost occurrence only", () => {
    expect(applyRule("abcabc", "abc", "x")).toBe("xabc");
    expect(applyRule("zzabzab", "ab", "Q")).toBe("zzQzab");
  });
  it("takes the leftmost of overlapping occurrences", () => {
    expect(applyRule("aaa", "aa", "b")).toBe("ba");
    expect(applyRule("ababa", "aba", "x")).toBe("xba");
    expect(applyRule("cababab", "abab", "d")).toBe("cdab");
  });
  it("leaves the string unchanged when the pattern is absent (no-op)", () => {
    expect(applyRule("abc", "d", "e")).toBe("abc");
    expect(applyRule("ab", "abc", "e")).toBe("ab");
  });
  it("replaces a pattern equal to the whole string", () => {
    expect(applyRule("abc", "abc", "zz")).toBe("zz");
  });
  it("does not rescan the replacement", () => {
    expect(applyRule("aa", "a", "aa")).toBe("aaa");
  });
});

describe("ruleCounts", () => {
  it("uniform: floor(N/I) each and the first N mod I rules one more", () => {
    const c = ruleCounts(103, 20, 0);
    expect(c.slice(0, 3)).toEqual([6, 6, 6]);
    expect(c.slice(3).every((v) => v === 5)).toBe(true);
    expect(c.reduce((a, b) => a + b, 0)).toBe(103);
  });
  it("power law: one each, then largest remainders of (r+1)^-alpha shares", () => {
    // rest 7 over weights 1, 1/2, 1/3 (sum 11/6): 3.818, 1.909, 1.273 -> floors 3, 1, 1; remainders go to rules 1, 0.
    expect(ruleCounts(10, 3, 1)).toEqual([5, 3, 2]);
    expect(ruleCounts(3, 3, 2)).toEqual([1, 1, 1]);
  });
});

describe("domain strings", () => {
  const rng = createRng(3);
  it("repeated: runs of at least two letters, neighbours differ", () => {
    for (let t = 0; t < 200; t++) {
      const len = 2 + (t % 9);
      const s = domainString(rng, "repeated", len, 5);
      expect(s).toHaveLength(len);
      const runs = s.match(/(.)\1*/g)!;
      for (const r of runs) expect(r.length).toBeGreaterThanOrEqual(2);
    }
  });
  it("periodic: a non-constant base of period p <= length/2", () => {
    for (let t = 0; t < 200; t++) {
      const len = 4 + (t % 9);
      const s = domainString(rng, "periodic", len, 5);
      let period = -1;
      for (let p = 2; p <= len / 2 && period < 0; p++) {
        let ok = true;
        for (let i = p; i < len; i++) if (s[i] !== s[i - p]) ok = false;
        if (ok) period = p;
      }
      expect(period, s).toBeGreaterThan(0);
      expect(new Set(s).size).toBeGreaterThan(1);
    }
  });
  it("mirrored: palindromes", () => {
    for (let t = 0; t < 200; t++) {
      const s = domainString(rng, "mirrored", 1 + (t % 9), 3);
      expect(s).toBe([...s].reverse().join(""));
    }
  });
  it("stringWithout never contains the pattern, even on a 2-letter alphabet", () => {
    for (let t = 0; t < 300; t++) {
      const x = domainString(rng, "unconstrained", 1 + (t % 3), 2);
      const z = stringWithout(rng, x, 12, 2);
      expect(z).toHaveLength(12);
      expect(z.includes(x), `${x} in ${z}`).toBe(false);
    }
  });
});

describe("generateRewrite", () => {
  const set = generateRewrite(small);

  it("answers follow the real semantics on the final string; no-ops lack the pattern", () => {
    for (const e of [...set.train, ...set.test]) {
      expect(e.answer).toBe(naiveRewrite(e.z, e.x, e.y));
      expect(e.noop).toBe(!e.z.includes(e.x));
      if (e.noop) expect(e.answer).toBe(e.z);
      else expect(e.answer).not.toBe(e.z); // x != y, so replacing x changes z
    }
    // With a 4-letter alphabet some strings hold the pattern earlier than where it was inserted.
    const earlier = set.train.filter((e) => !e.noop && e.z.indexOf(e.x) !== e.z.lastIndexOf(e.x));
    expect(earlier.length).toBeGreaterThan(0);
  });

  it("has the budget, the rule count and exactly round(share · N) no-ops", () => {
    expect(set.train).toHaveLength(500);
    expect(set.trainRules).toHaveLength(37);
    expect(new Set(set.train.map((e) => `${e.x}->${e.y}`)).size).toBe(37);
    expect(set.train.filter((e) => e.noop)).toHaveLength(Math.round(0.3 * 500));
    expect(set.test).toHaveLength(20 * 7);
    expect(set.test.filter((e) => e.noop)).toHaveLength(Math.round(0.3 * 140));
    const perRule = new Map<number, number>();
    for (const e of set.train) perRule.set(e.rule, (perRule.get(e.rule) ?? 0) + 1);
    expect([...perRule.keys()].sort((a, b) => a - b).map((r) => perRule.get(r))).toEqual(
      ruleCounts(500, 37, 0),
    );
  });

  it("never uses a test rule, nor (by default) a test pattern, in training", () => {
    const trainPairs = new Set(set.train.map((e) => `${e.x}->${e.y}`));
    const trainX = new Set(set.train.map((e) => e.x));
    for (const e of set.test) {
      expect(trainPairs.has(`${e.x}->${e.y}`)).toBe(false);
      expect(trainX.has(e.x)).toBe(false);
    }
    const loose = generateRewrite({
      ...small,
      unseen: "rule",
      alphabet: 2,
      patternLength: [1, 2],
      rules: 8,
      testRules: 4,
    });
    const pairs = new Set(loose.train.map((e) => `${e.x}->${e.y}`));
    for (const e of loose.test) expect(pairs.has(`${e.x}->${e.y}`)).toBe(false);
  });

  it("assigns domains in turn and keeps test domains apart when asked", () => {
    const s = generateRewrite({ ...small, domains: ["repeated", "mirrored"], testDomains: ["periodic"] });
    expect(s.trainRules.map((r) => r.domain).slice(0, 4)).toEqual([
      "repeated",
      "mirrored",
      "repeated",
      "mirrored",
    ]);
    expect(new Set(s.test.map((e) => e.domain))).toEqual(new Set(["periodic"]));
  });

  it("is deterministic by seed", () => {
    expect(generateRewrite(small)).toEqual(set);
    const other = generateRewrite({ ...small, seed: 12 });
    expect(other.train.map((e) => e.z)).not.toEqual(set.train.map((e) => e.z));
  });

  it("power law skews rule frequencies", () => {
    const s = generateRewrite({ ...small, powerLaw: 1.5 });
    expect(s.trainRules[0]!.examples).toBeGreaterThan(s.trainRules[36]!.examples * 10);
    expect(s.trainRules[36]!.examples).toBeGreaterThanOrEqual(1);
  });

  it("rejects impossible options with the flag to change", () => {
    const fail = (o: Partial<RewriteOptions>) => {
      try {
        generateRewrite({ ...small, ...o });
      } catch (e) {
        if (isArrangeError(e)) return e.option;
        throw e;
      }
      return "no error";
    };
    expect(fail({ budget: 10 })).toBe("--budget");
    expect(fail({ patternLength: [2, 12] })).toBe("--pattern-length");
    expect(fail({ noopShare: 1.5 })).toBe("--noop-share");
    expect(fail({ alphabet: 1 })).toBe("--alphabet");
    // 2 letters, patterns of length 1: only a->b and b->a exist.
    expect(fail({ alphabet: 2, patternLength: [1, 1], rules: 3, budget: 10 })).toBe("--rules");
  });
});

describe("writeRewrite", () => {
  it("writes alpaca JSONL that readDataset reads with the domain as task, byte-identical on reruns", async () => {
    const dir = await tempDir("synth-");
    const a = await writeRewrite(small, join(dir, "a"));
    await writeRewrite(small, join(dir, "b"));
    for (const f of ["train.jsonl", "test.jsonl", "manifest.json"])
      expect(await readFile(join(dir, "a", f))).toEqual(await readFile(join(dir, "b", f)));
    const ds = await readDataset(a.paths.train, { texts: true });
    expect(ds.count).toBe(500);
    expect(ds.files[0]!.layout).toBe("alpaca");
    expect(ds.taskSource).toBe("field:task");
    expect(new Set(ds.tasks.names)).toEqual(new Set(small.domains));
    const first = a.set.train[0]!;
    expect(ds.texts![0]).toContain(first.z);
    expect(ds.texts![0]!.endsWith(first.answer)).toBe(true);
    const manifest = JSON.parse(await readFile(a.paths.manifest, "utf8"));
    expect(manifest.options.seed).toBe(11);
    expect(manifest.rules.test).toHaveLength(20);
    expect(manifest.counts.train.noops).toBe(150);
  });
});
