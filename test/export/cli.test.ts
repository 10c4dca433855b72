import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readDataset } from "../../src/data/read.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

describe("instruct-arrange export (CLI)", () => {
  let dir: string;
  let arranged: string;

  beforeAll(async () => {
    dir = await tempDir();
    arranged = join(dir, "arranged.jsonl");
    // arrange on the bundled example, exporting for TRL in the same run.
    const r = cli([
      "arrange",
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      arranged,
      "--metadata",
      join(dir, "arranged.meta.jsonl"),
      "--embedder",
      "ngram",
      "--export",
      "trl",
      "--export-dir",
      join(dir, "trl"),
      "--export-batch-size",
      "32",
    ]);
    expect(r.stderr).toMatch(
      /exported 1200 rows for trl \(38 steps of 32, \d+ rounds, \d+ end-of-text markers removed\)/,
    );
    expect(r.code).toBe(0);
  }, 120_000);

  it("arrange --export wrote the TRL files with rounds from its metadata and its manifest", async () => {
    expect(await listDir(join(dir, "trl"))).toEqual([
      "README.md",
      "arranged.jsonl",
      "arrangement.manifest.json",
      "rounds.json",
      "train_trl.py",
    ]);
    const plan = JSON.parse(await readFile(join(dir, "trl", "rounds.json"), "utf8"));
    expect(plan.batch_size).toBe(32);
    const manifest = JSON.parse(await readFile(join(dir, "arranged.manifest.json"), "utf8"));
    expect(plan.rounds.map((r: { rows: number }) => r.rows)).toEqual(manifest.tma.roundSizes);
  });

  it("export --help lists every option", () => {
    const r = cli(["export", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--input",
      "--to",
      "--out",
      "--metadata",
      "--no-metadata",
      "--manifest",
      "--no-manifest",
      "--batch-size",
      "--save-steps",
      "--name",
      "--rows-per-shard",
      "--quiet",
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(cli(["--help"]).stdout).toMatch(/export/);
  });

  for (const to of ["llama-factory", "axolotl", "hf-dataset"]) {
    it(`export --to ${to} keeps the arranged order`, async () => {
      const out = join(dir, to);
      const r = cli(["export", "--input", arranged, "--to", to, "--out", out]);
      expect(r.stderr).toMatch(
        new RegExp(
          `exported 1200 rows for ${to} \\(75 steps of 16, \\d+ rounds(, \\d+ end-of-text markers removed)?\\)`,
        ),
      );
      expect(r.code).toBe(0);
      const data =
        to === "hf-dataset" ? join(out, "data", "train-00000-of-00001.parquet") : join(out, "arranged.jsonl");
      const back = await readDataset(data, { keepRecords: true, texts: false });
      const original = await readDataset(arranged, { keepRecords: true, texts: false });
      // The task of each row (from the metadata arrange wrote beside it) is added as the field "task".
      const meta = (await readFile(arranged.replace(/\.jsonl$/, ".meta.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { task: string });
      expect(back.records).toEqual(original.records!.map((r, k) => ({ ...r, task: meta[k]!.task })));
      expect(existsSync(join(out, "arrangement.manifest.json"))).toBe(true);
      if (to === "axolotl") {
        const cfg = parse(await readFile(join(out, "axolotl.yaml"), "utf8"));
        expect(cfg.curriculum_sampling).toBe(true);
      }
    });
  }

  it("usage and input errors exit 2 and 1 with a fix", async () => {
    const bad = cli(["export", "--input", arranged, "--to", "megatron", "--out", join(dir, "x")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/llama-factory/);
    const n = cli([
      "export",
      "--input",
      arranged,
      "--to",
      "trl",
      "--out",
      join(dir, "x"),
      "--batch-size",
      "0",
    ]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/--batch-size must be an integer >= 1/);
    const missing = cli([
      "export",
      "--input",
      join(dir, "nope.jsonl"),
      "--to",
      "trl",
      "--out",
      join(dir, "x"),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/fix:/);
    const meta = cli([
      "export",
      "--input",
      arranged,
      "--to",
      "trl",
      "--out",
      join(dir, "x"),
      "--metadata",
      join(EXAMPLE_TEST, "..", "..", "README.md"),
    ]);
    expect(meta.code).toBe(1);
    expect(meta.stderr).toMatch(/the metadata describes \d+ rows but the arranged set has 1200/);
    const noDir = cli([
      "arrange",
      "--train",
      arranged,
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(dir, "y.jsonl"),
      "--export",
      "trl",
    ]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/--export needs --export-dir/);
    expect(existsSync(join(dir, "y.jsonl"))).toBe(false);
  });
});
