import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";
import { TORCH_PYTHON } from "../helpers/torch.js";
import { listFiles, runCli, snapshot, tempFiles } from "./helpers-writes.js";

requireBuiltCli();

// `train` into an existing non-empty run directory is refused unless --overwrite, which removes the old
// run's files before the new run starts: an interrupted run never leaves old and new files mixed.

async function oldRun(): Promise<string> {
  const dir = await tempDir("ia-rundir-");
  const run = join(dir, "run");
  mkdirSync(run);
  writeFileSync(join(run, "curves.json"), '{"old":true}\n');
  writeFileSync(join(run, "run.json"), '{"old":true}\n');
  return run;
}

describe("train into an existing run directory", () => {
  it("is refused without --overwrite (exit 2, naming it); the old run stays as it was", async () => {
    const run = await oldRun();
    const before = snapshot(run);
    const r = await runCli([
      "train",
      "--data",
      EXAMPLE_TEST,
      "--eval",
      EXAMPLE_TEST,
      "--out",
      run,
      "--model",
      "builtin:tiny",
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${run}: the run directory already holds 2 entries (curves.json, run.json)`);
    expect(r.stderr).toMatch(/--overwrite/);
    expect(snapshot(run)).toEqual(before);
  });

  it("--overwrite keeps the old run while the run cannot start (no such Python)", async () => {
    const run = await oldRun();
    const before = snapshot(run);
    const r = await runCli([
      "train",
      "--data",
      EXAMPLE_TEST,
      "--eval",
      EXAMPLE_TEST,
      "--out",
      run,
      "--model",
      "builtin:tiny",
      "--overwrite",
      "--python",
      "/nonexistent/python3",
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(snapshot(run)).toEqual(before);
  });

  it("--overwrite, then SIGINT during training: exit 130, no old file left, nothing mixed", async (ctx) => {
    const python = TORCH_PYTHON;
    if (python === null) {
      console.warn("skipped: no Python with PyTorch on this machine");
      ctx.skip();
      return;
    }
    const run = await oldRun();
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(ROOT, "dist/src/cli/main.js"),
          "train",
          "--data",
          EXAMPLE_TRAIN,
          "--eval",
          EXAMPLE_TEST,
          "--out",
          run,
          "--model",
          "builtin:tiny",
          "--max-steps",
          "400",
          "--eval-every",
          "400",
          "--eval-max-examples",
          "8",
          "--threads",
          "1",
          "--python",
          python,
          "--overwrite",
          "--log-json",
        ],
        { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      let sent = false;
      child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
        if (!sent && stderr.includes('"event":"trainer:step"')) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        if (!sent) reject(new Error(`never saw a training step: ${stderr.slice(-2000)}`));
        resolve({ code, stderr });
      });
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(130);
    const files = listFiles(run);
    expect(tempFiles(files)).toEqual([]);
    for (const f of files) expect(readFileSync(join(run, f), "utf8"), f).not.toContain('{"old":true}');
    expect(files).not.toContain("curves.json");
  }, 300_000);
});
