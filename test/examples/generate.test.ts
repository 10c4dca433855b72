import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAMILIES, numberToWords, TEST_FAMILIES } from "../../examples/families.js";
import { type GenerateResult, generateExample } from "../../examples/generate.js";

const committed = join(import.meta.dirname, "../../examples/data");

async function listJsonl(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const split of ["train", "test"]) {
    for (const f of (await readdir(join(dir, split))).sort())
      if (f.endsWith(".jsonl")) out.push(`${split}/${f}`);
  }
  return out;
}

describe("bundled example generator", () => {
  let dir: string;
  let result: GenerateResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ia-example-"));
    result = await generateExample({ seed: 1, outDir: dir });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reproduces the committed examples/data byte for byte", async () => {
    const files = await listJsonl(dir);
    expect(files).toEqual(await listJsonl(committed));
    expect([...files].sort()).toEqual(result.files.map((f) => f.path).sort());
    for (const f of files) {
      const [a, b] = await Promise.all([readFile(join(dir, f)), readFile(join(committed, f))]);
      expect(a.equals(b), `${f} differs from the committed copy; regenerate examples/data`).toBe(true);
    }
  });

  it("has 20 families with 3-4 templates, 4 of them held out as the test set", () => {
    expect(FAMILIES).toHaveLength(20);
    expect(new Set(FAMILIES.map((f) => f.name)).size).toBe(20);
    for (const f of FAMILIES) expect(f.templates.length).toBeGreaterThanOrEqual(3);
    for (const f of FAMILIES) expect(f.templates.length).toBeLessThanOrEqual(4);
    expect(TEST_FAMILIES).toHaveLength(4);
    const testFiles = result.files.filter((f) => f.split === "test");
    expect(new Set(testFiles.map((f) => f.family))).toEqual(new Set(TEST_FAMILIES));
    const trainFamilies = new Set(result.files.filter((f) => f.split === "train").map((f) => f.family));
    expect(trainFamilies.size).toBe(16);
    for (const t of TEST_FAMILIES) expect(trainFamilies.has(t)).toBe(false);
    expect(result.trainRows).toBe(1200);
    expect(result.testRows).toBe(152);
  });

  it("writes alpaca rows with short, non-empty instruction and output", async () => {
    for (const f of result.files) {
      const lines = (await readFile(join(dir, f.path), "utf8")).split("\n");
      expect(lines.pop()).toBe("");
      expect(lines).toHaveLength(f.rows);
      for (const line of lines) {
        const r = JSON.parse(line) as Record<string, unknown>;
        expect(Object.keys(r)).toEqual(["instruction", "input", "output"]);
        expect(typeof r.input).toBe("string");
        expect((r.instruction as string).length).toBeGreaterThan(0);
        expect((r.output as string).length).toBeGreaterThan(0);
        expect(`${r.instruction} ${r.input} ${r.output}`.split(" ").length).toBeLessThan(40);
      }
    }
  });

  it("gives different data for a different seed", async () => {
    const other = await mkdtemp(join(tmpdir(), "ia-example-"));
    try {
      await generateExample({ seed: 2, outDir: other });
      const f = "train/arithmetic_t1.jsonl";
      expect(await readFile(join(other, f), "utf8")).not.toBe(await readFile(join(dir, f), "utf8"));
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("spells numbers correctly", () => {
    expect([0, 7, 13, 20, 42, 100, 305, 999].map(numberToWords)).toEqual([
      "zero",
      "seven",
      "thirteen",
      "twenty",
      "forty-two",
      "one hundred",
      "three hundred five",
      "nine hundred ninety-nine",
    ]);
  });
});
