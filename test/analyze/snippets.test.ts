import { describe, expect, it } from "vitest";
import { addSnippets, snippet } from "../../src/analyze/snippets.js";
import type { CoverageRow } from "../../src/analyze/types.js";
import { analyze } from "../../src/pipeline/analyze.js";
import { tempDir } from "../helpers/tmp.js";
import { TEST_TEXTS, TRAIN_TEXTS, writeTinyCase } from "./helpers.js";

const row = (test: number, sim: number, flagged: boolean, train = test): CoverageRow => ({
  test,
  task: "t",
  nearest: [{ train, distance: -sim, similarity: sim }],
  flagged,
});

describe("analyze: text snippets for the contamination table", () => {
  it("collapses whitespace and cuts long texts to the limit with an ellipsis, by code point", () => {
    expect(snippet("  a\n\tb   c ", 10)).toBe("a b c");
    expect(snippet("abcdefghij", 10)).toBe("abcdefghij");
    expect(snippet("abcdefghijk", 10)).toBe("abcdefghi…");
    expect(Array.from(snippet("😀".repeat(12), 10))).toHaveLength(10);
    expect(snippet("😀".repeat(12), 10).endsWith("😀…")).toBe(true);
  });

  it("gives snippets to every flagged row and the closest unflagged rows, with their neighbours", () => {
    const rows = [
      row(0, 0.2, false),
      row(1, 0.99, true),
      row(2, 0.9, false),
      row(3, 0.5, false),
      row(4, 0.9, false),
    ];
    const texts = ["t0", "t1", "t2", "t3", "t4"];
    addSnippets(rows, ["r0", "r1", "r2", "r3", "r4"], texts, 50, 2);
    // Flagged row 1, then the two closest unflagged (0.9 twice: rows 2 and 4, lower row first on ties).
    expect(rows.map((r) => r.snippet)).toEqual([undefined, "t1", "t2", undefined, "t4"]);
    expect(rows[1]!.nearest[0]!.snippet).toBe("r1");
    expect(rows[3]!.nearest[0]!.snippet).toBeUndefined();
    const none = [row(0, 0.99, true)];
    addSnippets(none, ["r"], ["t"], 0);
    expect(none[0]!.snippet).toBeUndefined();
  });

  it("analyze writes the test and training texts of flagged rows; --snippet-chars 0 writes none", async () => {
    const dir = await tempDir();
    const f = await writeTinyCase(dir);
    const base = {
      train: f.train,
      test: f.test,
      trainEmbeddings: f.trainNpy,
      testEmbeddings: f.testNpy,
      engine: "ts" as const,
      overlap: "keep" as const,
    };
    const a = await analyze(base);
    const testTexts = Object.values(TEST_TEXTS).flat();
    for (const r of a.coverage.rows) {
      // Three test rows: all of them are flagged or among the 20 closest.
      expect(r.snippet).toBe(testTexts[r.test]);
      for (const n of r.nearest) expect(n.snippet).toBe(TRAIN_TEXTS[n.train]);
    }
    const short = await analyze({ ...base, snippetChars: 3 });
    expect(short.coverage.rows[0]!.snippet).toBe("a…");
    const off = await analyze({ ...base, snippetChars: 0 });
    expect(off.coverage.rows.some((r) => r.snippet !== undefined)).toBe(false);
    await expect(analyze({ ...base, snippetChars: -1 })).rejects.toThrow(/--snippet-chars/);
  });
});
