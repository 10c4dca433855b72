import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

requireBuiltCli();

describe("instruct-arrange synth rewrite", () => {
  it("writes train, test and manifest with the options given, and arrange reads them", async () => {
    const dir = await tempDir("synth-cli-");
    const out = join(dir, "rw");
    const args = ["synth", "rewrite", "--out", out, "--rules", "12", "--budget", "50", "--test-rules", "5"];
    const more = [
      "--test-per-rule",
      "2",
      "--string-length",
      "6:9",
      "--pattern-length",
      "2:3",
      "--alphabet",
      "6",
    ];
    const r = cli([
      ...args,
      ...more,
      "--domains",
      "mirrored,unconstrained",
      "--test-domains",
      "periodic",
      "--seed",
      "4",
    ]);
    expect(r.stderr).toContain("wrote 50 training examples of 12 rules");
    expect(r.code).toBe(0);
    const train = (await readFile(join(out, "train.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const test = (await readFile(join(out, "test.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(train).toHaveLength(50);
    expect(test).toHaveLength(10);
    expect(new Set(test.map((t) => t.task))).toEqual(new Set(["periodic"]));
    for (const t of train) expect(t.input.length).toBeGreaterThanOrEqual(6);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));
    expect(manifest.options).toMatchObject({
      rules: 12,
      budget: 50,
      alphabet: 6,
      stringLength: [6, 9],
      seed: 4,
    });
    const a = cli(
      ["arrange", "--train", join(out, "train.jsonl"), "--test", join(out, "test.jsonl")].concat([
        "--out",
        join(dir, "arranged.jsonl"),
        "--embedder",
        "ngram",
        "--quiet",
      ]),
    );
    expect(a.code, a.stderr).toBe(0);
  });

  it("is a usage error (exit 2) with the fix when the budget cannot cover the rules", async () => {
    const dir = await tempDir("synth-cli-");
    const r = cli(["synth", "rewrite", "--out", dir, "--rules", "10", "--budget", "5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--budget 5 is smaller than --rules 10");
    expect(r.stderr).toContain("fix:");
    expect(cli(["synth", "rewrite", "--out", dir, "--string-length", "x"]).code).toBe(2);
  });
});
