import { spawnSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { BIN, requireBuiltCli, runCli } from "./helpers.js";

requireBuiltCli();

/** Alpaca rows of about 230 bytes, every fifth answer ending in an end-of-text marker. */
function alpacaRow(i: number): string {
  const words = `w${i % 97} lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor`;
  return `${JSON.stringify({
    instruction: `question ${i}: ${words}`,
    input: i % 3 === 0 ? `context ${i}` : "",
    output: `answer ${i} ${words}${i % 5 === 0 ? "<|endoftext|>" : ""}`,
    id: i,
  })}\n`;
}

function writeAlpaca(path: string, n: number): void {
  const fd = openSync(path, "w");
  try {
    let buf: string[] = [];
    for (let i = 0; i < n; i++) {
      buf.push(alpacaRow(i));
      if (buf.length === 4096) {
        writeSync(fd, buf.join(""));
        buf = [];
      }
    }
    writeSync(fd, buf.join(""));
  } finally {
    closeSync(fd);
  }
}

// Fault case G12: `export --to trl` held every record in memory (2.64 GiB peak RSS for 250 MB of input).
// It streams now: the rows are read, checked and written one at a time.
describe("export --to trl streams its rows", () => {
  it("120,000 rows (28 MB) export under a 40 MB old-space limit (all records in memory need > 48 MB)", async () => {
    const dir = await tempDir("fault-trl-mem-");
    const n = 120_000;
    writeAlpaca(join(dir, "big.jsonl"), n);
    const r = spawnSync(
      process.execPath,
      [
        "--max-old-space-size=40",
        BIN,
        "export",
        "--input",
        join(dir, "big.jsonl"),
        "--to",
        "trl",
        "--out",
        join(dir, "out"),
      ],
      { encoding: "utf8", timeout: 240_000, killSignal: "SIGKILL" },
    );
    expect(r.signal, r.stderr.slice(-2000)).toBeNull();
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const lines = (await readFile(join(dir, "out", "arranged.jsonl"), "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(n);
    const last = JSON.parse(lines[n - 1]!) as Record<string, unknown>;
    expect(last).toMatchObject({
      id: n - 1,
      prompt: `question ${n - 1}: w${(n - 1) % 97} lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor`,
    });
    const rounds = JSON.parse(await readFile(join(dir, "out", "rounds.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(rounds).toMatchObject({ rows: n, end_markers_removed: n / 5, rows_with_end_markers: n / 5 });
  }, 300_000);

  it("writes the same bytes as the in-memory path (a .gz input is read into memory)", async () => {
    const dir = await tempDir("fault-trl-same-");
    const rows = Array.from({ length: 300 }, (_, i) => alpacaRow(i)).join("");
    await writeFile(join(dir, "rows.jsonl"), rows);
    await writeFile(join(dir, "rows.jsonl.gz"), gzipSync(rows));
    for (const input of ["rows.jsonl", "rows.jsonl.gz"]) {
      const r = runCli([
        "export",
        "--input",
        join(dir, input),
        "--to",
        "trl",
        "--out",
        join(dir, `out-${input}`),
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    const streamed = await readFile(join(dir, "out-rows.jsonl", "arranged.jsonl"));
    const inMemory = await readFile(join(dir, "out-rows.jsonl.gz", "arranged.jsonl"));
    expect(streamed.length).toBeGreaterThan(300 * 100);
    expect(streamed.equals(inMemory)).toBe(true);
  });

  it("stops with the row's file and line when a conversation turn has no chat role, writing nothing", async () => {
    const dir = await tempDir("fault-trl-bad-");
    const good = {
      conversations: [
        { from: "human", value: "q" },
        { from: "gpt", value: "a" },
      ],
    };
    const bad = {
      conversations: [
        { from: "human", value: "q" },
        { from: "robot", value: "a" },
      ],
    };
    const lines = [good, good, bad, good].map((r) => JSON.stringify(r)).join("\n");
    await writeFile(join(dir, "c.jsonl"), `${lines}\n`);
    const r = runCli(["export", "--input", join(dir, "c.jsonl"), "--to", "trl", "--out", join(dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "c.jsonl")}:3`);
    expect(r.stderr).toContain("no chat role");
    await expect(readFile(join(dir, "out", "arranged.jsonl"))).rejects.toThrow();
  });
});
