import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "dist/src/cli/main.js");

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
});

describe("instruct-arrange CLI", () => {
  it("--help lists the commands and arrange --help every option", () => {
    const top = cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/arrange/);
    const sub = cli(["arrange", "--help"]);
    expect(sub.code).toBe(0);
    for (const flag of [
      "--train",
      "--test",
      "--out",
      "--metadata",
      "--strategy",
      "--measure",
      "--order",
      "--granularity",
      "--pick",
      "--budget",
      "--select",
      "--seed",
      "--embedder",
      "--train-embeddings",
      "--test-embeddings",
      "--template",
      "--task-field",
      "--skip-invalid",
      "--quiet",
      "--log-json",
    ]) {
      expect(sub.stdout).toContain(flag);
    }
  });

  it("usage errors exit 2 and say what is valid", () => {
    const r = cli(["arrange", "--train", "a", "--test", "b", "--out", "c.jsonl", "--strategy", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tma/);
    const b = cli(["arrange", "--train", "a", "--test", "b", "--out", "c.jsonl", "--budget", "ten"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--budget must be an integer/);
    const m = cli(["arrange", "--test", "b", "--out", "c.jsonl"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--train/);
  });

  it("input errors exit 1 with file:line and a fix, leaving no output", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "train.jsonl"), '{"text": "a"}\n{oops}\n');
    await writeFile(join(dir, "test.jsonl"), '{"text": "t"}\n');
    const r = cli([
      "arrange",
      "--train",
      join(dir, "train.jsonl"),
      "--test",
      join(dir, "test.jsonl"),
      "--out",
      join(dir, "out.jsonl"),
      "--embedder",
      "ngram",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "train.jsonl")}:2:`);
    expect(r.stderr).toMatch(/fix:/);
    expect(await listDir(dir)).toEqual(["test.jsonl", "train.jsonl"]);
  });

  it("--log-json writes machine-readable progress on stderr and nothing on stdout", async () => {
    const dir = await tempDir();
    const out = join(dir, "o.jsonl");
    const r = cli([
      "arrange",
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      out,
      "--embedder",
      "ngram",
      "--log-json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const events = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; stage?: string });
    expect(events.some((e) => e.event === "progress" && e.stage === "distances")).toBe(true);
    expect(events.at(-1)?.event).toBe("info");
  });

  it("the README's main command runs on the bundled example with the default (use-lite) embedder", async () => {
    const dir = await tempDir();
    const out = join(dir, "arranged.jsonl");
    const r = cli([
      "arrange",
      "--train",
      "examples/data/train",
      "--test",
      "examples/data/test",
      "--out",
      out,
      "--metadata",
      join(dir, "arranged.meta.jsonl"),
    ]);
    expect(r.stderr).toMatch(/arranged \d+ of \d+ training rows \(tma, \d+ rounds\)/);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, "arranged.manifest.json"), "utf8"));
    expect(manifest.embedder.id).toBe("use-lite");
    expect(manifest.options.strategy).toBe("tma");
    expect(manifest.counts.output).toBe(manifest.counts.train.read);
  });
});
