import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";

requireBuiltCli();

const BIN = join(ROOT, "dist/src/cli/main.js");

/** Rows whose texts all have the same length, so the length sort keeps input order. */
async function sameLengthRows(path: string, n: number): Promise<string> {
  const words = ["river", "boats", "cloud", "stone", "green", "light", "table", "music"];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const text = `sentence ${String(i).padStart(4, "0")} about the ${words[i % 8]} and the ${words[(i * 3 + 1) % 8]}`;
    lines.push(`${JSON.stringify({ instruction: text, output: "" })}\n`);
  }
  await writeFile(path, lines.join(""));
  return path;
}

/** The `embedding cache: N hits, M computed` line of a --log-json run. */
function cacheLine(stderr: string): { hits: number; computed: number } {
  const m = /embedding cache: (\d+) hits, (\d+) computed/.exec(stderr);
  if (m === null) throw new Error(`no cache line in:\n${stderr}`);
  return { hits: Number(m[1]), computed: Number(m[2]) };
}

describe("use-lite worker threads", () => {
  it("gives byte-identical vectors with 1 and 2 threads", async () => {
    const dir = await tempDir();
    const input = await sameLengthRows(join(dir, "in.jsonl"), 40);
    const run = (threads: number) =>
      cli([
        "embed",
        "--input",
        input,
        "--out",
        join(dir, `t${threads}.npy`),
        "--embed-threads",
        String(threads),
        "--batch-size",
        "8",
        "--no-cache",
        "--quiet",
      ]);
    const one = run(1);
    expect(one.stderr).toBe("");
    expect(one.code).toBe(0);
    const two = run(2);
    expect(two.code).toBe(0);
    const a = await readFile(join(dir, "t1.npy"));
    const b = await readFile(join(dir, "t2.npy"));
    expect(a.length).toBeGreaterThan(40 * 512 * 4);
    expect(b.equals(a)).toBe(true);
    // Not all zero: the threads really embedded.
    expect(new Float32Array(a.buffer, a.byteOffset + a.length - 512 * 4, 512).some((x) => x !== 0)).toBe(
      true,
    );
  });

  it("keeps the finished batches in the cache when the run is killed (SIGKILL), so the rerun hits them", async () => {
    const dir = await tempDir();
    const cacheDir = join(dir, "cache");
    const input = await sameLengthRows(join(dir, "in.jsonl"), 2000);
    const child = spawn(
      process.execPath,
      [
        BIN,
        "embed",
        "--input",
        input,
        "--out",
        join(dir, "all.npy"),
        "--batch-size",
        "16",
        "--embed-threads",
        "1",
      ].concat(["--cache-dir", cacheDir, "--log-json"]),
      { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    let killedAt = -1;
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        const done = [...stderr.matchAll(/"stage":"embed:input","done":(\d+)/g)].map((m) => Number(m[1]));
        const last = done.at(-1) ?? 0;
        if (killedAt < 0 && last >= 96) {
          killedAt = last;
          child.kill("SIGKILL");
        }
      });
      child.on("close", () => resolve());
    });
    expect(killedAt).toBeGreaterThanOrEqual(96);
    expect(killedAt).toBeLessThan(2000);
    // The first 64 rows were finished two batches or more before the kill: the rerun finds them.
    const head = join(dir, "head.jsonl");
    await writeFile(head, (await readFile(input, "utf8")).split("\n").slice(0, 64).join("\n"));
    const again = cli([
      "embed",
      "--input",
      head,
      "--out",
      join(dir, "head.npy"),
      "--cache-dir",
      cacheDir,
      "--log-json",
    ]);
    expect(again.code).toBe(0);
    expect(cacheLine(again.stderr)).toEqual({ hits: 64, computed: 0 });
  });

  it("refuses --embed-threads for backends without threads, and --device for use-lite", async () => {
    const out = join(await tempDir(), "o.jsonl");
    const base = arrangeArgs(out, { embedder: null });
    const ngram = cli([...base, "--embedder", "ngram", "--embed-threads", "2"]);
    expect(ngram.code).toBe(2);
    expect(ngram.stderr).toContain(
      "--embed-threads applies to --embedder use-lite, minilm or hf:<id>, not ngram",
    );
    const device = cli([...base, "--device", "cuda"]);
    expect(device.code).toBe(2);
    expect(device.stderr).toContain("--device applies to --embedder minilm or hf:<id>, not use-lite");
    const zero = cli([...base, "--embed-threads", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--embed-threads must be an integer >= 1");
  });
});
