import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeBertFixture } from "../../src/embed/testing/bert-fixture.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

let modelDir: string;

beforeAll(async () => {
  const dir = await tempDir("ia-cli-minilm-");
  modelDir = join(dir, "model");
  // A random tiny BERT with some of the example's words, loaded as `minilm` would load the real model.
  await writeBertFixture(modelDir, {
    words: ["what", "is", "the", "of", "capital", "france", "paris", "sound", "a", "cat", "make"],
  });
  // No cached model and no reachable hub for anything these tests start.
  process.env.HF_HOME = join(dir, "hf-home");
  process.env.HF_ENDPOINT = "http://127.0.0.1:9";
  delete process.env.HF_HUB_CACHE;
  delete process.env.INSTRUCT_ARRANGE_MODEL_DIR;
});

describe("instruct-arrange with --embedder minilm / hf:<id>", () => {
  it("arrange --embedder minilm --model-dir DIR runs end to end on the bundled example", async () => {
    const dir = await tempDir();
    const out = join(dir, "arranged.jsonl");
    const r = cli(
      arrangeArgs(out, {
        embedder: "minilm",
        extra: ["--model-dir", modelDir, "--token-budget", "512", "--log-json"],
      }),
    );
    expect(r.stderr).not.toContain('"level":"error"');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const manifest = JSON.parse(await readFile(join(dir, "arranged.manifest.json"), "utf8"));
    expect(manifest.embedder.id).toBe("minilm");
    expect(manifest.embedder.dims).toBe(32);
    expect(manifest.embedder.version).toMatch(
      /^minilm;transformers\.js@[\d.]+;model=Xenova\/all-MiniLM-L6-v2;/,
    );
    expect(manifest.counts.output).toBe(manifest.counts.train.read);
    const rows = (await readFile(out, "utf8")).trim().split("\n");
    expect(rows).toHaveLength(manifest.counts.train.read);
  });

  it("analyze --embedder hf:<id> --model-dir DIR records the backend", async () => {
    const dir = await tempDir();
    const out = join(dir, "analysis.json");
    const r = cli([
      "analyze",
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      out,
      "--embedder",
      "hf:test/tiny-bert",
      "--model-dir",
      modelDir,
      "--max-tokens",
      "64",
      "--quiet",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const a = JSON.parse(await readFile(out, "utf8"));
    expect(a.embedder.id).toBe("hf:test/tiny-bert");
    expect(a.embedder.version).toContain("maxTokens=64");
  });

  it("without a model: exit 1, saying how to provide it", () => {
    const dir = EXAMPLE_TRAIN;
    const r = cli(arrangeArgs("/tmp/never.jsonl", { train: dir, embedder: "minilm" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Xenova/all-MiniLM-L6-v2 model is not in the Hugging Face cache");
    expect(r.stderr).toContain("huggingface-cli download Xenova/all-MiniLM-L6-v2");
    expect(r.stderr).toContain("--model-dir DIR");
  });

  it("an unknown embedder name is a usage error listing minilm and hf:<model-id>", () => {
    const r = cli(arrangeArgs("/tmp/x.jsonl", { embedder: "minilm2" }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown embedder "minilm2"');
    expect(r.stderr).toContain("minilm, hf:<model-id>");
  });
});
