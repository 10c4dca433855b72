import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/data/npy.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";
import { mountTmpfs, runCli } from "./helpers-writes.js";

// Error messages name the right file (the user's path, the .npy at fault) and never suggest an option
// that was already given.

function rows(n: number, prefix: string): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ instruction: `${prefix} ${i}`, output: `o${i}` }),
  )
    .map((l) => `${l}\n`)
    .join("");
}

describe("error messages", () => {
  it('"no usable rows" under --skip-invalid does not suggest --skip-invalid', async () => {
    const dir = await tempDir("ia-msg-");
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, "[1]\n[2]\n[3]\n");
    const test = join(dir, "test.jsonl");
    writeFileSync(test, rows(3, "t"));
    const r = await runCli(
      arrangeArgs(join(dir, "o.jsonl"), { train: bad, test: test, extra: ["--skip-invalid"] }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no usable rows/);
    expect(r.stderr).toContain(bad);
    const fix = /fix: (.*)/.exec(r.stderr)?.[1] ?? "";
    expect(fix.length).toBeGreaterThan(0);
    expect(fix).not.toMatch(/pass --skip-invalid/);
  });

  it("a 0-column training .npy is blamed on the training file", async () => {
    const dir = await tempDir("ia-msg-npy-");
    writeFileSync(join(dir, "train.jsonl"), rows(4, "a"));
    writeFileSync(join(dir, "test.jsonl"), rows(3, "t"));
    await writeNpy(join(dir, "train.npy"), { data: new Float32Array(0), rows: 4, cols: 0 });
    await writeNpy(join(dir, "test.npy"), { data: new Float32Array(3 * 2).fill(1), rows: 3, cols: 2 });
    const r = await runCli(
      arrangeArgs(join(dir, "o.jsonl"), {
        train: join(dir, "train.jsonl"),
        test: join(dir, "test.jsonl"),
        embedder: null,
        extra: ["--train-embeddings", join(dir, "train.npy"), "--test-embeddings", join(dir, "test.npy")],
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/0 columns/);
    expect(r.stderr).toContain(join(dir, "train.npy"));
    expect(r.stderr).not.toContain(join(dir, "test.npy"));
  });

  it("a NaN in a .npy names that file and the row", async () => {
    const dir = await tempDir("ia-msg-nan-");
    writeFileSync(join(dir, "train.jsonl"), rows(4, "a"));
    writeFileSync(join(dir, "test.jsonl"), rows(3, "t"));
    const train = new Float32Array(4 * 2).fill(0.5);
    train[5] = Number.NaN; // row 3
    await writeNpy(join(dir, "train.npy"), { data: train, rows: 4, cols: 2 });
    await writeNpy(join(dir, "test.npy"), { data: new Float32Array(3 * 2).fill(1), rows: 3, cols: 2 });
    const r = await runCli(
      arrangeArgs(join(dir, "o.jsonl"), {
        train: join(dir, "train.jsonl"),
        test: join(dir, "test.jsonl"),
        embedder: null,
        extra: ["--train-embeddings", join(dir, "train.npy"), "--test-embeddings", join(dir, "test.npy")],
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "train.npy")}:3: `);
    expect(r.stderr).toMatch(/holds NaN/);
  });

  it("an output with another format's extension is named as the user gave it, not the staged path", async () => {
    const dir = await tempDir("ia-msg-ext-");
    writeFileSync(join(dir, "train.jsonl"), rows(4, "a"));
    writeFileSync(join(dir, "test.jsonl"), rows(3, "t"));
    const out = join(dir, "o.csv");
    const r = await runCli(
      arrangeArgs(out, { train: join(dir, "train.jsonl"), test: join(dir, "test.jsonl") }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(out);
    expect(r.stderr, r.stderr).not.toMatch(/\.staged|\.tmp\b/);
    expect(existsSync(out)).toBe(false);
  });

  it("a read-only file system: the message names the user's path", async (ctx) => {
    const fs = mountTmpfs(64);
    if ("skip" in fs) {
      console.warn(`skipped: ${fs.skip}`);
      ctx.skip();
      return;
    }
    const dir = await tempDir("ia-msg-ro-");
    try {
      writeFileSync(join(dir, "train.jsonl"), rows(4, "a"));
      writeFileSync(join(dir, "test.jsonl"), rows(3, "t"));
      const { spawnSync } = await import("node:child_process");
      expect(spawnSync("mount", ["-o", "remount,ro", fs.dir]).status).toBe(0);
      const out = join(fs.dir, "o.jsonl");
      const r = await runCli(
        arrangeArgs(out, { train: join(dir, "train.jsonl"), test: join(dir, "test.jsonl") }),
      );
      // Found before any work by the output-path check: a usage error (exit 2) naming the user's path.
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(out);
      expect(r.stderr).toMatch(/read-only/);
      expect(r.stderr, r.stderr).not.toMatch(/\.staged|\.tmp\b/);
    } finally {
      fs.unmount();
    }
  });
});
