import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { readDataset } from "../../src/data/read.js";
import { resolveSources, splitHoldout } from "../../src/data/sources.js";
import { jsonl, put, rejection, tempDir } from "./util.js";

const root = await tempDir();
let n = 0;
async function dir(): Promise<string> {
  const d = join(root, `d${n++}`);
  await mkdir(d);
  return d;
}

describe("several inputs", () => {
  it("repeated values are read in the order given, never last-wins", async () => {
    const d = await dir();
    const a = await put(d, "a.jsonl", jsonl([{ text: "a1" }, { text: "a2" }]));
    const b = await put(d, "b.jsonl", jsonl([{ text: "b1" }]));
    const ds = await readDataset([b, a]);
    expect(ds.texts).toEqual(["b1", "a1", "a2"]);
    expect(ds.tasks.names).toEqual(["b", "a"]);
    expect(ds.taskSource).toBe("file-name");
    expect(ds.path).toBe(`${b} + ${a}`);
    expect(ds.paths).toEqual([b, a]);
  });

  it("a quoted glob is expanded in name order, tasks named from the pattern's base", async () => {
    const d = await dir();
    await put(d, "t2.jsonl", jsonl([{ text: "two" }]));
    await put(d, "t10.jsonl", jsonl([{ text: "ten" }]));
    await put(d, "other.csv", "text\nnot matched\n");
    await mkdir(join(d, "sub"));
    await put(join(d, "sub"), "t3.jsonl", jsonl([{ text: "three" }]));
    const flat = await readDataset(join(d, "t*.jsonl"));
    expect(flat.texts).toEqual(["ten", "two"]);
    const deep = await readDataset(join(d, "**/*.jsonl"));
    expect(deep.tasks.names).toEqual(["sub/t3", "t10", "t2"]);
  });

  it("a glob that matches nothing, or a non-data file, is a usage error", async () => {
    const d = await dir();
    await put(d, "notes.txt", "x");
    expect((await rejection(readDataset(join(d, "*.jsonl")))).code).toBe("usage");
    const e = await rejection(readDataset(join(d, "*")));
    expect(e.message).toContain("notes.txt");
  });

  it("the same file reached twice is refused", async () => {
    const d = await dir();
    const a = await put(d, "a.jsonl", jsonl([{ text: "a" }]));
    const e = await rejection(readDataset([a, d]));
    expect(e.code).toBe("usage");
    expect(e.message).toContain("read twice");
  });
});

describe("what a data directory yields", () => {
  it("skips hidden files (the tool's staged files among them) and its own outputs, and says so once", async () => {
    const d = await dir();
    await put(d, "a.jsonl", jsonl([{ text: "a" }, { text: "b" }]));
    await put(d, ".a.1a2b3c4d.staged.jsonl", jsonl([{ text: "staged" }]));
    await put(d, "._a.jsonl", "\u0000\u0005junk");
    await put(d, "arranged.manifest.json", JSON.stringify({ tool: "instruct-arrange", version: "0" }));
    await put(d, "emb.npy.json", JSON.stringify({ kind: "embeddings" }));
    await put(d, "run.json", JSON.stringify({ tool: "instruct-arrange", kind: "analysis" }));
    await put(
      d,
      "order.jsonl",
      jsonl([
        { position: 0, index: 1, task: "a", file: "x", line: 2, nearest_test: 0, nearest_distance: -1 },
      ]),
    );
    const events: ProgressEvent[] = [];
    const ds = await readDataset(d, { onProgress: (e) => events.push(e) });
    expect(ds.texts).toEqual(["a", "b"]);
    expect(ds.files.map((f) => f.task)).toEqual(["a"]);
    expect(ds.skippedFiles!.length).toBe(6);
    const said = events.filter((e) =>
      e.message?.includes("skipped 6 hidden or instruct-arrange output files"),
    );
    expect(said.length).toBe(1);
  });

  it("a stray .json that is not an array of records is an error naming the file and the fix", async () => {
    const d = await dir();
    await put(d, "a.jsonl", jsonl([{ text: "a" }]));
    const cfg = await put(d, "config.json", JSON.stringify({ lr: 0.1 }));
    const e = await rejection(readDataset(d));
    expect(e.code).toBe("input");
    expect(e.file).toBe(cfg);
    expect(e.fix).toContain("move it out of the directory");
  });

  it("follows symbolic links to directories and names tasks by relative path", async () => {
    const d = await dir();
    const other = await dir();
    await put(other, "x.jsonl", jsonl([{ text: "x" }]));
    await symlink(other, join(d, "linked"));
    await put(d, "y.jsonl", jsonl([{ text: "y" }]));
    const ds = await readDataset(d);
    expect(ds.tasks.names).toEqual(["linked/x", "y"]);
  });
});

describe("--data DIR --holdout", () => {
  it("splits by task prefix; the parts keep the directory's task names", async () => {
    const d = await dir();
    await put(d, "ag_news_a.jsonl", jsonl([{ text: "n1" }]));
    await put(d, "ag_news_b.jsonl", jsonl([{ text: "n2" }]));
    await put(d, "cosmos.jsonl", jsonl([{ text: "c" }]));
    await put(d, "rte.jsonl", jsonl([{ text: "r" }]));
    const s = await splitHoldout(d, ["ag_news", "cos"]);
    expect(s.test.files.map((f) => f.task)).toEqual(["ag_news_a", "ag_news_b", "cosmos"]);
    expect(s.train.files.map((f) => f.task)).toEqual(["rte"]);
    const train = await readDataset(s.train);
    expect(train.texts).toEqual(["r"]);
    expect((await rejection(splitHoldout(d, ["zzz"]))).option).toBe("--holdout");
    expect((await rejection(splitHoldout(d, ["ag", "cos", "rte"]))).message).toContain("every file");
  });

  it("resolves a single file as one source without file-name tasks", async () => {
    const d = await dir();
    const a = await put(d, "a.jsonl", jsonl([{ text: "a" }]));
    const r = await resolveSources(a);
    expect(r.multiFile).toBe(false);
    expect(r.files).toEqual([{ path: a, format: "jsonl", task: "a" }]);
  });
});
