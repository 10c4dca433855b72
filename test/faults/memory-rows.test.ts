import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeBigInput } from "../../bench/big-jsonl.js";
import { tempDir } from "../helpers/tmp.js";
import { BIN, requireBuiltCli } from "./helpers.js";

requireBuiltCli();

// Fault cases G04, G05: 32M short rows with precomputed .npy died of a V8 heap out-of-memory error, the
// heap growing ~236 bytes a row (a metadata object per row, a JS array of the order). Per-row state is in
// typed arrays now, off the V8 heap: with the old heap capped at 48 MB, 300,000 rows still arrange (with
// --metadata), which needed ~70 MB of heap for the per-row objects before. This checks where the memory
// lives, not how fast or how much in total (bench/big-jsonl.ts measures peak RSS on 32M rows).
describe("per-row state off the V8 heap", () => {
  it("300,000 rows arrange with --metadata under a 48 MB old-space limit", async () => {
    const dir = await tempDir("fault-mem-");
    const n = 300_000;
    writeBigInput(join(dir, "train"), n, 2);
    writeBigInput(join(dir, "test"), 4, 2);
    const out = join(dir, "out", "a.jsonl");
    const r = spawnSync(
      process.execPath,
      [
        "--max-old-space-size=48",
        BIN,
        "arrange",
        "--train",
        join(dir, "train.jsonl"),
        "--test",
        join(dir, "test.jsonl"),
        "--train-embeddings",
        join(dir, "train.npy"),
        "--test-embeddings",
        join(dir, "test.npy"),
        "--strategy",
        "random",
        // The generated rows repeat a few test texts; the check itself is not what is measured here.
        "--overlap",
        "keep",
        "--out",
        out,
        "--metadata",
        join(dir, "out", "a.meta.jsonl"),
      ],
      { encoding: "utf8", timeout: 240_000, killSignal: "SIGKILL" },
    );
    expect(r.signal, r.stderr.slice(-2000)).toBeNull();
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const meta = (await readFile(join(dir, "out", "a.meta.jsonl"), "utf8")).trimEnd().split("\n");
    expect(meta).toHaveLength(n);
    const first = JSON.parse(meta[0]!);
    expect(first).toMatchObject({ position: 0, file: join(dir, "train.jsonl") });
    const lines = (await readFile(out, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(n);
    expect(JSON.parse(lines[0]!).instruction).toBe(`q${first.index}`);
    expect(first.line).toBe(first.index + 1);
  });
});
