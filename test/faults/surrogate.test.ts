import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { runCli } from "./helpers-writes.js";

// A lone surrogate ("\ud800" in JSON) is never changed silently: the Parquet export (UTF-8 strings) refuses
// it naming the row and field; the JSON exports keep it exactly.

async function input(): Promise<{ dir: string; path: string }> {
  const dir = await tempDir("ia-surrogate-");
  const path = join(dir, "arranged.jsonl");
  writeFileSync(
    path,
    [
      '{"instruction":"fine","output":"ok"}',
      '{"instruction":"also fine","output":"ok"}',
      '{"instruction":"bad \\ud800 here","output":"ok"}',
      "",
    ].join("\n"),
  );
  return { dir, path };
}

describe("lone surrogates in exports", () => {
  it("--to hf-dataset refuses with the row, field and fix; nothing is written", async () => {
    const { dir, path } = await input();
    const out = join(dir, "hf");
    const r = await runCli(["export", "--input", path, "--to", "hf-dataset", "--out", out, "--no-metadata"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${path}:3: `);
    expect(r.stderr).toMatch(/"instruction" holds a lone UTF-16 surrogate/);
    expect(r.stderr).toMatch(/fix: /);
    expect(
      existsSync(out)
        ? readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith(".parquet"))
        : [],
    ).toEqual([]);
  });

  it("--to trl keeps the surrogate exactly (JSON escape)", async () => {
    const { dir, path } = await input();
    const out = join(dir, "trl");
    const r = await runCli(["export", "--input", path, "--to", "trl", "--out", out, "--no-metadata"]);
    expect(r.code, r.stderr).toBe(0);
    const data = readdirSync(out).find((f) => f.endsWith(".jsonl"));
    expect(data).toBeDefined();
    const text = readFileSync(join(out, data!), "utf8");
    expect(text).not.toContain("\uFFFD");
    const rows = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(JSON.stringify(rows[2])).toContain("bad \\ud800 here");
  });
});
