import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Growable } from "../../src/data/growable.js";
import { readDataset } from "../../src/data/read.js";
import { tempDir } from "../helpers/tmp.js";

// Per-row state of a dataset lives in typed arrays (no JS object per row), reserved from the file size.
describe("row store", () => {
  it("a directory of files: file index, lines, spans and tasks per row, in typed arrays", async () => {
    const dir = await tempDir("rows-");
    const d = join(dir, "d");
    await mkdir(d);
    const rows = (n: number, p: string) =>
      Array.from({ length: n }, (_, i) => JSON.stringify({ instruction: `${p}${i}`, output: "o" })).join(
        "\n",
      );
    // 5000 rows in a.jsonl: more than the rows read before room is reserved from the file size.
    await writeFile(join(d, "a.jsonl"), `${rows(5000, "a")}\n`);
    await writeFile(join(d, "b.jsonl"), `${rows(3, "b")}\n\n${rows(2, "c")}\n`);
    const ds = await readDataset(d, { texts: false });
    expect(ds.count).toBe(5005);
    expect(ds.texts).toBeUndefined();
    expect(ds.refs.file).toBeInstanceOf(Uint8Array);
    expect(Array.from(ds.refs.file.subarray(4998, 5005))).toEqual([0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(ds.refs.line.subarray(5000))).toEqual([1, 2, 3, 5, 6]);
    expect(Array.from(ds.tasks.taskOf.subarray(4999, 5001))).toEqual([0, 1]);
    expect(ds.refs.start.length).toBe(5005);
    expect(ds.refs.ordinal[5004]).toBe(5004);
  });

  it("stores one 64-bit text hash per kept row (two 32-bit halves) without keeping the texts", async () => {
    const dir = await tempDir("rows-");
    const path = join(dir, "t.jsonl");
    await writeFile(path, ['{"text":"same"}', "{bad", '{"text":"other"}', '{"text":"same "}'].join("\n"));
    const ds = await readDataset(path, { texts: false, skipInvalid: true });
    expect(ds.texts).toBeUndefined();
    expect(ds.textHashes.length).toBe(6);
    const pair = (i: number) => [ds.textHashes[2 * i], ds.textHashes[2 * i + 1]];
    expect(pair(0)).toEqual(pair(2));
    expect(pair(0)).not.toEqual(pair(1));
  });

  it("Growable: reserve keeps the values, toArray gives exactly the pushed values", () => {
    const g = new Growable((n) => new Int32Array(n));
    for (let i = 0; i < 3000; i++) g.push(i);
    g.reserve(10_000);
    for (let i = 3000; i < 7600; i++) g.push(i);
    const a = g.toArray();
    expect(a.length).toBe(7600);
    expect(a[0]).toBe(0);
    expect(a[7599]).toBe(7599);
    expect(a.every((v, i) => v === i)).toBe(true);
  });
});
