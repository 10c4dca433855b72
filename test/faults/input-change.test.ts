import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { writeArranged } from "../../src/data/write.js";
import { ROOT, requireBuiltCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { listFiles, tempFiles } from "./helpers-writes.js";

// An input replaced by a file of the same size while the run reads it (`sed -i`, a rename over it) must
// fail the run (exit 1, naming the file) before any output appears: the content is hashed again and
// compared with what the run read.

requireBuiltCli();

function rows(n: number): string {
  return Array.from(
    { length: n },
    (_, i) => `${JSON.stringify({ instruction: `q${1000 + i}`, output: `a${1000 + i}` })}\n`,
  ).join("");
}

/** The same lines in reverse order: the same size, other content (as in the fault report). */
function reversedSameSize(path: string): void {
  const lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
  const tmp = `${path}.new`;
  writeFileSync(tmp, `${lines.reverse().join("\n")}\n`);
  renameSync(tmp, path);
}

describe("an input replaced during a run", () => {
  it("writeArranged: the replaced file is named, no output, no temporary file", async () => {
    const dir = await tempDir("ia-change-");
    const input = join(dir, "train.jsonl");
    writeFileSync(input, rows(50));
    const ds = await readDataset(input);
    const before = readFileSync(input).length;
    reversedSameSize(input);
    expect(readFileSync(input).length).toBe(before);
    const out = join(dir, "out.jsonl");
    await expect(writeArranged(ds, [3, 1, 2], out)).rejects.toMatchObject({
      code: "io",
      file: input,
      message: expect.stringMatching(/changed after it was read/),
    });
    expect(existsSync(out)).toBe(false);
    expect(tempFiles(listFiles(dir))).toEqual([]);
  });

  it("arrange: a same-size replacement while writing exits 1 naming the file; the old output stays", async () => {
    const dir = await tempDir("ia-change-cli-");
    const input = join(dir, "train.jsonl");
    writeFileSync(input, rows(400));
    const test = join(dir, "test.jsonl");
    writeFileSync(test, rows(5));
    const outDir = join(dir, "out");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(outDir);
    writeFileSync(join(outDir, "o.jsonl"), "old\n");
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          join(ROOT, "test/faults/slow-writes.mjs"),
          join(ROOT, "dist/src/cli/main.js"),
          "arrange",
          "--train",
          input,
          "--test",
          test,
          "--out",
          join(outDir, "o.jsonl"),
          "--embedder",
          "ngram",
          "--no-manifest",
          "--overlap",
          "keep",
        ],
        { cwd: ROOT, env: { ...process.env, SLOW_WRITE_MS: "300" }, stdio: ["ignore", "ignore", "pipe"] },
      );
      let replaced = false;
      // Once the output is being written (its hidden temporary file appears), replace the input.
      const watcher = watch(outDir, (_e, name) => {
        if (!replaced && name !== null && tempFiles([String(name)]).length > 0) {
          replaced = true;
          reversedSameSize(input);
        }
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        watcher.close();
        if (!replaced) reject(new Error(`the input was never replaced: ${stderr}`));
        resolve({ code, stderr });
      });
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`${input}: the input file changed after it was read`);
    expect(readFileSync(join(outDir, "o.jsonl"), "utf8")).toBe("old\n");
    expect(tempFiles(listFiles(outDir))).toEqual([]);
  });
});
