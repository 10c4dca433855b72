import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { listDir, SHARED_P3, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

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
      "--within-round",
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
    const r = cli(
      arrangeArgs("c.jsonl", { train: "a", test: "b", embedder: null, extra: ["--strategy", "nope"] }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tma/);
    const b = cli(
      arrangeArgs("c.jsonl", { train: "a", test: "b", embedder: null, extra: ["--budget", "ten"] }),
    );
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
    const r = cli(
      arrangeArgs(join(dir, "out.jsonl"), { train: join(dir, "train.jsonl"), test: join(dir, "test.jsonl") }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "train.jsonl")}:2:`);
    expect(r.stderr).toMatch(/fix:/);
    expect(await listDir(dir)).toEqual(["test.jsonl", "train.jsonl"]);
  });

  it("--log-json writes machine-readable progress on stderr and nothing on stdout", async () => {
    const dir = await tempDir();
    const out = join(dir, "o.jsonl");
    const r = cli(arrangeArgs(out, { extra: ["--log-json"] }));
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
    const r = cli(
      arrangeArgs(out, {
        train: "examples/data/train",
        test: "examples/data/test",
        metadata: join(dir, "arranged.meta.jsonl"),
        embedder: null,
      }),
    );
    expect(r.stderr).toMatch(/arranged \d+ of \d+ training rows \(tma, \d+ rounds\)/);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, "arranged.manifest.json"), "utf8"));
    expect(manifest.embedder.id).toBe("use-lite");
    expect(manifest.options.strategy).toBe("tma");
    expect(manifest.counts.output).toBe(manifest.counts.train.read);
  });
});

describe("the library API", () => {
  it('resolves as `import { arrange } from "instruct-arrange"` from the package root', () => {
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import("instruct-arrange").then((m) => console.log(typeof m.arrange, typeof m.arrangeEmbeddings, typeof m.readDataset))',
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function function");
  });
});

const P3_PRESENT = existsSync(SHARED_P3);
if (!P3_PRESENT) console.warn(`cli.test: ${SHARED_P3} not found; skipping the P3 end-to-end test`);
describe.skipIf(!P3_PRESENT)("P3 (../shared) end to end through the CLI", () => {
  it("TMA on a task-level split (every ag_news template held out) with ngram embeddings", async () => {
    const dir = await tempDir();
    const trainDir = join(dir, "train");
    const testDir = join(dir, "test");
    await mkdir(trainDir);
    await mkdir(testDir);
    for (const f of (await readdir(SHARED_P3)).filter((x) => x.endsWith(".jsonl"))) {
      await copyFile(join(SHARED_P3, f), join(f.startsWith("ag_news_") ? testDir : trainDir, f));
    }
    const out = join(dir, "out.jsonl");
    const r = cli(arrangeArgs(out, { train: trainDir, test: testDir, metadata: join(dir, "meta.jsonl") }));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/layout prompt-completion/);
    const manifest = JSON.parse(await readFile(join(dir, "out.manifest.json"), "utf8"));
    const n = manifest.counts.train.read as number;
    expect(n).toBeGreaterThan(40_000);
    expect(manifest.counts.test.read).toBe(1400);
    // every P3 completion ends with <|endoftext|>, left out of the embedded text
    expect(manifest.inputs.train.strippedMarkers).toBe(n);
    const written = (await readFile(out, "utf8")).split("\n").slice(0, -1);
    expect(written.length).toBe(n);
    const meta = (await readFile(join(dir, "meta.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { index: number; round: number });
    expect(new Set(meta.map((m) => m.index)).size).toBe(n);
    const sizes = manifest.tma.roundSizes as number[];
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1400);
    expect(meta.map((m) => m.round)).toEqual([...meta.map((m) => m.round)].sort((a, b) => a - b));
  });
});
