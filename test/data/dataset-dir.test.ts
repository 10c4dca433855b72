import { cp, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { exportArranged } from "../../src/export/index.js";
import { jsonl, put, rejection, tempDir } from "./util.js";

const dir = await tempDir();
const rows = Array.from({ length: 23 }, (_, i) => ({
  instruction: `q${i}`,
  output: `a${i}`,
  tags: i % 2 === 0 ? ["even"] : [],
}));

describe("directories that hold one dataset", () => {
  it("export --to hf-dataset output reads back as the arranged set, in order", async () => {
    const input = await put(dir, "arranged.jsonl", jsonl(rows));
    const out = join(dir, "hf");
    await exportArranged({ input, to: "hf-dataset", outDir: out, rowsPerShard: 5 });
    const back = await readDataset(out, { keepRecords: true });
    expect(back.files.map((f) => f.path.slice(out.length + 1))).toEqual([
      "data/train-00000-of-00005.parquet",
      "data/train-00001-of-00005.parquet",
      "data/train-00002-of-00005.parquet",
      "data/train-00003-of-00005.parquet",
      "data/train-00004-of-00005.parquet",
    ]);
    expect(back.records).toEqual(rows);
    expect(back.tasks.names).toEqual(["hf"]);
  });

  it("a sharded Parquet directory is one dataset in shard order (not a task per shard); a missing shard is an error", async () => {
    const shards = join(dir, "shards");
    await cp(join(dir, "hf", "data"), shards, { recursive: true });
    const ds = await readDataset(shards, { keepRecords: true });
    expect(ds.tasks.names).toEqual(["shards"]);
    expect(ds.records).toEqual(rows);
    await rm(join(shards, "train-00002-of-00005.parquet"));
    const e = await rejection(readDataset(shards));
    expect(e.message).toMatch(/4 of the 5 shards .*missing train-00002-of-00005\.parquet/);
    expect(e.file).toBe(shards);
  });

  it("a directory of task files stays a directory of tasks", async () => {
    const tasks = join(dir, "tasks");
    await mkdir(tasks);
    await put(tasks, "a.jsonl", jsonl(rows.slice(0, 3)));
    await put(tasks, "b.jsonl", jsonl(rows.slice(3, 5)));
    expect((await readDataset(tasks)).tasks.names).toEqual(["a", "b"]);
  });
});
