import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

describe("readDataset: JSON arrays", () => {
  it("finds each element's byte span through strings, escapes and nesting", async () => {
    const body = `\uFEFF [
  {"instruction": "brackets ] } [ { in \\"strings\\"", "output": "ok\\\\"},
  {
    "instruction": "nested", "input": "", "output": "x",
    "meta": {"a": [1, {"b": "]"}], "c": "\\u00e9"}
  }  ,{"instruction":"é🙂","output":"last"}
]
`;
    const path = await put(dir, "a.json", body);
    const ds = await readDataset(path);
    expect(ds.files[0]).toMatchObject({ format: "json", layout: "alpaca", rows: 3 });
    expect(ds.texts).toEqual(['brackets ] } [ { in "strings" ok\\', "nested x", "é🙂 last"]);
    expect(Array.from(ds.refs.line)).toEqual([1, 2, 3]);
    const bytes = await readFile(path);
    const parsed = JSON.parse(bytes.toString("utf8").slice(1)) as unknown[];
    for (let i = 0; i < 3; i++) {
      const span = bytes.subarray(ds.refs.start[i], ds.refs.end[i]).toString("utf8");
      expect(span.startsWith("{") && span.endsWith("}")).toBe(true);
      expect(JSON.parse(span)).toEqual(parsed[i]);
    }
  });

  it("handles elements larger than a read chunk", async () => {
    const big = 'x\\"y'.repeat(600_000);
    const body = `[{"text":"${big}"},{"text":"small"}]`;
    const path = await put(dir, "big.json", body);
    const ds = await readDataset(path);
    expect(ds.texts![0]!.length).toBe(600_000 * 3);
    expect(ds.texts![1]).toBe("small");
    const bytes = await readFile(path);
    expect(bytes.subarray(ds.refs.start[1], ds.refs.end[1]).toString()).toBe('{"text":"small"}');
  });

  it("a top-level object is an error suggesting .jsonl", async () => {
    const path = await put(dir, "obj.json", '{"text":"a"}\n{"text":"b"}\n');
    const e = await rejection(readDataset(path));
    expect([e.code, e.file]).toEqual(["input", path]);
    expect(e.message).toMatch(/must be an array/);
    expect(e.fix).toMatch(/\.jsonl/);
  });

  it("reports structural errors with the element number", async () => {
    let e = await rejection(readDataset(await put(dir, "comma.json", '[{"text":"a"} {"text":"b"}]')));
    expect([e.line, e.message]).toEqual([1, 'expected "," or "]" after element 1 (text line 1)']);
    e = await rejection(readDataset(await put(dir, "trail.json", '[{"text":"a"},]')));
    expect(e.message).toMatch(/trailing comma/);
    e = await rejection(readDataset(await put(dir, "cut.json", '[{"text":"a"},\n{"text":"b')));
    expect([e.line, e.message]).toEqual([
      2,
      "the file ends inside the array (in or after element 2) (text line 2)",
    ]);
    e = await rejection(readDataset(await put(dir, "after.json", '[{"text":"a"}] x')));
    expect(e.message).toMatch(/after the closing/);
  });

  it("an element that is not an object, or not valid JSON, is an invalid row", async () => {
    const path = await put(dir, "mixed.json", '[{"text":"a"}, 5, "s", {"text": tru}, {"text":"b"}, [1]]');
    const e = await rejection(readDataset(path));
    expect([e.line, e.message]).toEqual([2, "element 2 is a number, not an object"]);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.texts).toEqual(["a", "b"]);
    expect(ds.skipped.map((s) => s.line)).toEqual([2, 3, 4, 6]);
    expect(Array.from(ds.refs.line)).toEqual([1, 5]);
    expect(Array.from(ds.refs.ordinal)).toEqual([0, 4]);
  });

  it("reports an element that is not UTF-8", async () => {
    const bytes = Buffer.concat([
      Buffer.from('[{"text":"a"},{"text":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]'),
    ]);
    const e = await rejection(readDataset(await put(dir, "bin.json", bytes)));
    expect([e.line, e.message]).toEqual([2, "element is not valid UTF-8"]);
  });

  it("an empty array or whitespace is an empty file", async () => {
    expect((await rejection(readDataset(await put(dir, "empty.json", " [ ] ")))).message).toMatch(
      /empty file/,
    );
    expect((await rejection(readDataset(await put(dir, "ws.json", "  \n")))).message).toMatch(/empty file/);
  });
});
