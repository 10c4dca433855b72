import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Analysis } from "../../src/analyze/types.js";
import { CURVE_NAMES } from "../../src/analyze/types.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

/** Arrange the example data with TMA on ngram, as a user would before analyzing. */
async function arrangedExample(): Promise<{ dir: string; arranged: string; meta: string }> {
  const dir = await tempDir();
  const arranged = join(dir, "arranged.jsonl");
  const meta = join(dir, "arranged.meta.jsonl");
  const r = cli([
    "arrange",
    "--train",
    EXAMPLE_TRAIN,
    "--test",
    EXAMPLE_TEST,
    "--embedder",
    "ngram",
    "--out",
    arranged,
    "--metadata",
    meta,
    "--quiet",
  ]);
  if (r.code !== 0) throw new Error(`arrange failed: ${r.stderr}`);
  return { dir, arranged, meta };
}

describe("instruct-arrange analyze", () => {
  it("--help lists every option", () => {
    const r = cli(["analyze", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--train",
      "--test",
      "--out",
      "--metadata",
      "--embedder",
      "--train-embeddings",
      "--test-embeddings",
      "--batch-size",
      "--save-steps",
      "--k",
      "--contamination",
      "--kl-epsilon",
      "--projection-sample",
      "--template",
      "--task-field",
      "--skip-invalid",
      "--quiet",
      "--log-json",
    ])
      expect(r.stdout).toContain(flag);
  });

  it("analyzes the example arrangement end to end with ngram", async () => {
    const { dir, arranged: ARRANGED, meta: META } = await arrangedExample();
    const out = join(dir, "analysis.json");
    const r = cli([
      "analyze",
      "--train",
      ARRANGED,
      "--test",
      EXAMPLE_TEST,
      "--metadata",
      META,
      "--embedder",
      "ngram",
      "--out",
      out,
      "--log-json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/analyzed 1200 training rows against 152 test rows/);
    const a = JSON.parse(await readFile(out, "utf8")) as Analysis;
    expect(a.kind).toBe("analysis");
    expect(a.embedder.id).toBe("ngram");
    expect(a.checkpoints.examples).toEqual([160, 320, 480, 640, 800, 960, 1120, 1200]);
    expect(a.checkpoints.steps.at(-1)).toBe(75);
    for (const name of CURVE_NAMES) expect(a.curves.overall[name]).toHaveLength(8);
    expect(Object.keys(a.curves.perTask)).toHaveLength(a.inputs.test.tasks.length);
    expect(a.coverage.rows).toHaveLength(152);
    expect(a.tma?.roundSizes.reduce((s, v) => s + v, 0)).toBe(1200);
    expect(a.projection.points).toHaveLength(1200 + 152);
    expect(a.wsd.histogram.counts.reduce((s, v) => s + v, 0)).toBe(1200);
  });

  it("usage and input errors exit 2 and 1 with the fix", async () => {
    const dir = await tempDir();
    const ARRANGED = join(EXAMPLE_TRAIN, "arithmetic_t1.jsonl");
    const u = cli([
      "analyze",
      "--train",
      ARRANGED,
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(dir, "a.json"),
      "--k",
      "0",
    ]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--k must be an integer >= 1/);
    const m = cli([
      "analyze",
      "--train",
      ARRANGED,
      "--test",
      EXAMPLE_TEST,
      "--metadata",
      join(EXAMPLE_TEST, "antonyms_t1.jsonl"),
      "--embedder",
      "ngram",
      "--out",
      join(dir, "b.json"),
      "--quiet",
    ]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/antonyms_t1\.jsonl:1: missing or invalid `round`\/`value`[\s\S]*fix:/);
  });
});
