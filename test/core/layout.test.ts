import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The repository root. */
const ROOT = new URL("../../", import.meta.url).pathname;

/** The algorithm core, whose tests mirror the source file for file (issue 16). */
const CORE = ["linalg", "similarity", "arrange", "diversity"] as const;

/** Files of a core test folder that break the mirror: a test not named after a source file, or any other file. */
function mirrorMistakes(testFiles: string[], sourceFiles: string[]): string[] {
  const sources = new Set(sourceFiles.filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -".ts".length)));
  const mistakes: string[] = [];
  for (const f of testFiles) {
    if (f === "helpers.ts" || f.endsWith("-helpers.ts")) continue;
    if (!f.endsWith(".test.ts"))
      mistakes.push(`${f}: neither <source>.test.ts nor helpers.ts / *-helpers.ts`);
    else if (!sources.has(f.slice(0, -".test.ts".length))) mistakes.push(`${f}: no source file of that name`);
  }
  return mistakes;
}

describe("the core tests mirror the source files", () => {
  for (const folder of CORE) {
    it(`test/${folder}/<name>.test.ts tests src/${folder}/<name>.ts`, () => {
      const tests = readdirSync(join(ROOT, "test", folder));
      const sources = readdirSync(join(ROOT, "src", folder));
      expect(tests.filter((f) => f.endsWith(".test.ts")).length).toBeGreaterThan(0);
      expect(mirrorMistakes(tests, sources)).toEqual([]);
    });
  }

  it("the rule itself: a stray name, another file kind, or a test of a missing source is a mistake", () => {
    const sources = ["tma.ts", "order.ts", "index.ts"];
    expect(mirrorMistakes(["tma.test.ts", "helpers.ts", "hand-example-helpers.ts"], sources)).toEqual([]);
    expect(mirrorMistakes(["properties.test.ts", "notes.md", "order.spec.ts"], sources)).toEqual([
      "properties.test.ts: no source file of that name",
      "notes.md: neither <source>.test.ts nor helpers.ts / *-helpers.ts",
      "order.spec.ts: neither <source>.test.ts nor helpers.ts / *-helpers.ts",
    ]);
  });
});
