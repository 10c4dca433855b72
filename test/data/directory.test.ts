import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { readDataset } from "../../src/data/read.js";
import { jsonl, put, rejection, tempDir } from "./util.js";

const root = await tempDir();

async function makeDir(name: string): Promise<string> {
  const d = join(root, name);
  await mkdir(d);
  return d;
}

describe("directories", () => {
  it("reads one file per task in code-unit name order, walks subdirectories and lists ignored entries", async () => {
    const d = await makeDir("tasks");
    await put(d, "b.jsonl", jsonl([{ text: "b1" }, { text: "b2" }]));
    await put(d, "a10.jsonl", jsonl([{ text: "a10" }]));
    await put(d, "a2.jsonl", jsonl([{ text: "a2" }]));
    await put(d, "B.jsonl", jsonl([{ text: "B" }]));
    await put(d, "README.md", "# notes");
    await put(d, "notes.txt", "x");
    await mkdir(join(d, "sub.jsonl"));
    await put(join(d, "sub.jsonl"), "inner.jsonl", jsonl([{ text: "inner" }]));
    const ds = await readDataset(d);
    expect(ds.isDirectory).toBe(true);
    // A subdirectory's files are tasks named by their path relative to the directory, without extension.
    expect(ds.files.map((f) => f.task)).toEqual(["B", "a10", "a2", "b", "sub.jsonl/inner"]);
    expect(ds.files.map((f) => f.path)).toEqual(
      ["B", "a10", "a2", "b", "sub.jsonl/inner"].map((n) => join(d, `${n}.jsonl`)),
    );
    expect(ds.ignoredFiles).toEqual(["README.md", "notes.txt"]);
    expect(ds.texts).toEqual(["B", "a10", "a2", "b1", "b2", "inner"]);
    expect(ds.taskSource).toBe("file-name");
    expect(ds.tasks.names).toEqual(["B", "a10", "a2", "b", "sub.jsonl/inner"]);
    expect(Array.from(ds.tasks.taskOf)).toEqual([0, 1, 2, 3, 3, 4]);
    expect(Array.from(ds.refs.file)).toEqual([0, 1, 2, 3, 3, 4]);
    expect(Array.from(ds.refs.ordinal)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("reads mixed formats and follows symlinks to files", async () => {
    const d = await makeDir("mixed");
    await put(d, "one.csv", "text\nfrom csv\n");
    await put(d, "two.json", JSON.stringify([{ text: "from json" }]));
    const target = await put(root, "outside.jsonl", jsonl([{ text: "linked" }]));
    await symlink(target, join(d, "three.jsonl"));
    const ds = await readDataset(d);
    expect(ds.files.map((f) => [f.task, f.format])).toEqual([
      ["one", "csv"],
      ["three", "jsonl"],
      ["two", "json"],
    ]);
    expect(ds.texts).toEqual(["from csv", "linked", "from json"]);
  });

  it("keeps empty files of a directory as tasks without rows", async () => {
    const d = await makeDir("withempty");
    await put(d, "a.jsonl", jsonl([{ text: "a" }]));
    await put(d, "b.jsonl", "");
    await put(d, "c.jsonl", "\n\n");
    const events: ProgressEvent[] = [];
    const ds = await readDataset(d, { onProgress: (e) => events.push(e) });
    expect(ds.files.map((f) => [f.task, f.rows, f.layout])).toEqual([
      ["a", 1, "text"],
      ["b", 0, "none"],
      ["c", 0, "none"],
    ]);
    expect(ds.tasks.names).toEqual(["a"]);
    expect(ds.blankLines).toBe(2);
    expect(events.filter((e) => e.message?.includes("empty file")).length).toBe(2);
  });

  it("a directory of only empty files has no rows", async () => {
    const d = await makeDir("allempty");
    await put(d, "a.jsonl", "");
    const e = await rejection(readDataset(d));
    expect([e.code, e.file]).toEqual(["input", d]);
    expect(e.message).toContain(d);
  });

  it("reports a directory without data files", async () => {
    const d = await makeDir("nodata");
    await put(d, "README.md", "x");
    const e = await rejection(readDataset(d));
    expect([e.code, e.file]).toEqual(["input", d]);
    expect(e.message).toMatch(/no data files/);
    expect(e.fix).toContain("README.md");
    const empty = await makeDir("emptydir");
    expect((await rejection(readDataset(empty))).fix).toMatch(/it is empty/);
  });

  it("errors in one file name that file and line", async () => {
    const d = await makeDir("badfile");
    await put(d, "a.jsonl", jsonl([{ text: "a" }]));
    const bad = await put(d, "b.jsonl", '{"text":"b"}\n{"text":\n');
    const e = await rejection(readDataset(d));
    expect([e.file, e.line]).toEqual([bad, 2]);
  });
});

describe("tasks", () => {
  it("a single file with a task field uses it", async () => {
    const path = await put(
      root,
      "tf.jsonl",
      jsonl([
        { text: "1", task: "qa" },
        { text: "2", task: "sum" },
        { text: "3", task: "qa" },
      ]),
    );
    const ds = await readDataset(path);
    expect(ds.taskSource).toBe("field:task");
    expect(ds.tasks.names).toEqual(["qa", "sum"]);
    expect(Array.from(ds.tasks.taskOf)).toEqual([0, 1, 0]);
  });

  it("task_name is used when task is absent; rows without it are invalid", async () => {
    const path = await put(root, "tn.jsonl", jsonl([{ text: "1", task_name: "x" }, { text: "2" }]));
    const e = await rejection(readDataset(path));
    expect([e.line, e.message]).toEqual([2, 'row has no task field "task_name"']);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.taskSource).toBe("field:task_name");
    expect(ds.count).toBe(1);
  });

  it("a single file without a task field is one task named after the file", async () => {
    const ds = await readDataset(await put(root, "solo.jsonl", jsonl([{ text: "1", task: 5 }])));
    expect(ds.taskSource).toBe("single");
    expect(ds.tasks.names).toEqual(["solo"]);
  });

  it("taskField overrides file names, accepts numbers and nested paths, rejects missing values", async () => {
    const d = await makeDir("taskfield");
    await put(
      d,
      "a.jsonl",
      jsonl([
        { text: "1", cat: "x" },
        { text: "2", cat: 7 },
      ]),
    );
    await put(d, "b.jsonl", jsonl([{ text: "3", cat: "x" }]));
    const ds = await readDataset(d, { taskField: "cat" });
    expect(ds.taskSource).toBe("field:cat");
    expect(ds.tasks.names).toEqual(["x", "7"]);
    expect(Array.from(ds.tasks.taskOf)).toEqual([0, 1, 0]);

    const nested = await put(root, "nested.jsonl", jsonl([{ text: "1", meta: { t: "deep" } }]));
    expect((await readDataset(nested, { taskField: "meta.t" })).tasks.names).toEqual(["deep"]);

    const missing = await put(
      root,
      "notask.jsonl",
      jsonl([
        { text: "1", cat: "x" },
        { text: "2", cat: null },
      ]),
    );
    const e = await rejection(readDataset(missing, { taskField: "cat" }));
    expect([e.code, e.line]).toEqual(["input", 2]);
    expect(e.fix).toContain("--task-field");
    const empty = await rejection(readDataset(missing, { taskField: " " }));
    expect(empty.code).toBe("usage");
  });
});
