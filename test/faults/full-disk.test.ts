import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyzeArgs, analyzedFixture, arrangeArgs } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, tempDir } from "../helpers/tmp.js";
import { injectDiskBudget, listFiles, mountTmpfs, runCli, snapshot, tempFiles } from "./helpers-writes.js";

// A full disk must fail the run (exit 1, a message naming the user's path and the fix), leave no temporary
// file, and leave every existing output as it was. Two ways: an injected budget of free bytes at the write
// layer (always runs), and a real small tmpfs (when the test may mount one).

let fixtures: string;
let restore: (() => void) | undefined;

afterEach(() => {
  restore?.();
  restore = undefined;
});

beforeAll(async () => {
  fixtures = await tempDir("ia-full-disk-");
  await analyzedFixture(fixtures, runCli);
});

/** Each command with the outputs it writes under `out`. */
const commands: Record<string, (out: string) => string[]> = {
  report: (out) => ["report", "--analysis", join(fixtures, "an.json"), "--out", join(out, "r.html")],
  analyze: (out) =>
    analyzeArgs(join(fixtures, "arr.jsonl"), join(fixtures, "meta.jsonl"), join(out, "an.json")),
  "arrange (data, metadata, manifest)": (out) =>
    arrangeArgs(join(out, "arr.jsonl"), { metadata: join(out, "meta.jsonl") }),
  "embed (.npy and sidecar)": (out) => [
    "embed",
    "--input",
    EXAMPLE_TEST,
    "--out",
    join(out, "e.npy"),
    "--embedder",
    "ngram",
  ],
  diversity: (out) => [
    "diversity",
    "--input",
    EXAMPLE_TEST,
    "--out",
    join(out, "dv.json"),
    "--embedder",
    "ngram",
  ],
  "export llama-factory": (out) => [
    "export",
    "--input",
    join(fixtures, "arr.jsonl"),
    "--metadata",
    join(fixtures, "meta.jsonl"),
    "--to",
    "llama-factory",
    "--out",
    join(out, "exp"),
  ],
  "export trl": (out) => [
    "export",
    "--input",
    join(fixtures, "arr.jsonl"),
    "--metadata",
    join(fixtures, "meta.jsonl"),
    "--to",
    "trl",
    "--out",
    join(out, "exp"),
  ],
  "synth rewrite": (out) => [
    "synth",
    "rewrite",
    "--out",
    join(out, "s"),
    "--budget",
    "2000",
    "--rules",
    "20",
  ],
};

describe("a full disk at the write layer (injected short write, then ENOSPC)", () => {
  for (const [name, args] of Object.entries(commands)) {
    it(`${name}: exit 1 naming the user's path, nothing partial, old outputs kept`, async () => {
      // A run with room to spare tells how many bytes the command writes and which files.
      const ref = await tempDir("ia-full-disk-ref-");
      const probe = await injectDiskBudget(Number.POSITIVE_INFINITY);
      restore = probe.restore;
      const ok = await runCli(args(ref));
      probe.restore();
      restore = undefined;
      expect(ok.code, ok.stderr).toBe(0);
      const outputs = listFiles(ref);
      expect(outputs.length).toBeGreaterThan(0);
      const total = probe.written();

      for (const share of [0, 0.3, 0.7, 0.999]) {
        const out = await tempDir("ia-full-disk-run-");
        for (const f of outputs) {
          mkdirSync(dirname(join(out, f)), { recursive: true });
          writeFileSync(join(out, f), "old output\n");
        }
        const before = snapshot(out);
        const disk = await injectDiskBudget(Math.floor(total * share));
        restore = disk.restore;
        const r = await runCli(args(out));
        disk.restore();
        restore = undefined;
        expect(r.code, `share ${share}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/no space left on device/);
        expect(r.stderr).toMatch(/fix: free disk space/);
        expect(r.stderr).toContain(out);
        expect(r.stderr, "the message names the user's path, not a temporary one").not.toMatch(
          /\.staged|\.tmp\b/,
        );
        expect(tempFiles(listFiles(out)), `share ${share}`).toEqual([]);
        expect(snapshot(out), `share ${share}: an existing output changed`).toEqual(before);
      }
    });
  }
});

describe("a full disk on a real tmpfs", () => {
  it("report and analyze exit 1 and leave nothing at the destination", async (ctx) => {
    const fs = mountTmpfs(100);
    if ("skip" in fs) {
      console.warn(`skipped the tmpfs test: ${fs.skip}; the injected-ENOSPC tests above still ran`);
      ctx.skip();
      return;
    }
    try {
      const report = await runCli(commands.report!(fs.dir));
      expect(report.code, report.stderr).toBe(1);
      expect(report.stderr).toContain(join(fs.dir, "r.html"));
      expect(report.stderr).toMatch(/no space left on device/);
      expect(listFiles(fs.dir)).toEqual([]);
      const analyze = await runCli(commands.analyze!(fs.dir));
      expect(analyze.code, analyze.stderr).toBe(1);
      expect(analyze.stderr).toContain(join(fs.dir, "an.json"));
      expect(listFiles(fs.dir)).toEqual([]);
      // An output that was there before stays as it was.
      writeFileSync(join(fs.dir, "r.html"), "old report\n");
      const again = await runCli(commands.report!(fs.dir));
      expect(again.code).toBe(1);
      expect(snapshot(fs.dir)).toEqual({ "r.html": "old report\n" });
    } finally {
      fs.unmount();
    }
  });

  it("export --to hf-dataset (Parquet shards) exits 1 naming the user's path, no temporary file", async (ctx) => {
    const fs = mountTmpfs(24);
    if ("skip" in fs) {
      console.warn(`skipped the tmpfs test: ${fs.skip}`);
      ctx.skip();
      return;
    }
    try {
      const out = join(fs.dir, "hf");
      const r = await runCli([
        "export",
        "--input",
        join(fixtures, "arr.jsonl"),
        "--metadata",
        join(fixtures, "meta.jsonl"),
        "--to",
        "hf-dataset",
        "--out",
        out,
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/no space left on device/);
      expect(r.stderr).toContain(out);
      expect(r.stderr).not.toMatch(/\.staged|\.tmp\b|internal error/);
      expect(tempFiles(listFiles(fs.dir))).toEqual([]);
      expect(listFiles(fs.dir).filter((f) => f.endsWith(".parquet"))).toEqual([]);
    } finally {
      fs.unmount();
    }
  });
});
