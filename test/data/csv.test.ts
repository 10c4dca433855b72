import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

describe("readDataset: CSV", () => {
  it("reads a header and records, with quoted fields spanning lines and byte spans of each record", async () => {
    const body =
      '\uFEFFinstruction,input,output\r\n"Say ""hi""",,hi\r\n"multi\r\nline",in,"out, with comma"\r\n\r\nlast,é,🙂';
    const path = await put(dir, "a.csv", body);
    const ds = await readDataset(path);
    expect(ds.files[0]).toMatchObject({ format: "csv", layout: "alpaca", rows: 3, blankLines: 1 });
    expect(ds.texts).toEqual(['Say "hi" hi', "multi\r\nline in out, with comma", "last é 🙂"]);
    expect(ds.csvHeader).toBe("instruction,input,output");
    expect(ds.files[0]!.csvHeader).toBe("instruction,input,output");
    // Text lines where the records start (header = line 1; the second record spans lines 3-4, line 5 is blank).
    expect(Array.from(ds.refs.line)).toEqual([2, 3, 6]);
    const bytes = await readFile(path);
    const spans = [0, 1, 2].map((i) => bytes.subarray(ds.refs.start[i], ds.refs.end[i]).toString("utf8"));
    expect(spans).toEqual(['"Say ""hi""",,hi', '"multi\r\nline",in,"out, with comma"', "last,é,🙂"]);
  });

  it("handles \\n line ends and a trailing newline", async () => {
    const path = await put(dir, "b.csv", "text,task\nfirst,t1\nsecond,t2\n");
    const ds = await readDataset(path, { taskField: "task" });
    expect(ds.texts).toEqual(["first", "second"]);
    expect(ds.tasks.names).toEqual(["t1", "t2"]);
    const bytes = await readFile(path);
    expect(bytes.subarray(ds.refs.start[1], ds.refs.end[1]).toString()).toBe("second,t2");
    expect(ds.refs.end[1]).toBe(bytes.length - 1);
  });

  it("values are strings and work with templates", async () => {
    const path = await put(dir, "c.csv", "q,a,n\nwhat,42,\n");
    const ds = await readDataset(path, { template: "{q} -> {a}{n}" });
    expect(ds.texts).toEqual(["what -> 42"]);
  });

  it("a record with the wrong number of fields is an invalid row", async () => {
    const path = await put(dir, "d.csv", "prompt,completion\na,b\nc,d,e\nf,g\n");
    const e = await rejection(readDataset(path));
    expect([e.code, e.file, e.line, e.message]).toEqual([
      "input",
      path,
      3,
      "record has 3 fields but the header has 2",
    ]);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.texts).toEqual(["a b", "f g"]);
    expect(Array.from(ds.refs.line)).toEqual([2, 4]);
  });

  it("reports a record that is not UTF-8", async () => {
    const bytes = Buffer.concat([Buffer.from("text\nok\ncaf"), Buffer.from([0xe9]), Buffer.from("\n")]);
    const path = await put(dir, "e.csv", bytes);
    const e = await rejection(readDataset(path));
    expect([e.line, e.message]).toEqual([3, "record is not valid UTF-8"]);
    // A real U+FFFD in the data is fine.
    const ok = await readDataset(await put(dir, "f.csv", "text\nreplacement \uFFFD char\n"));
    expect(ok.texts).toEqual(["replacement \uFFFD char"]);
  });

  it("reports CSV syntax errors and duplicate columns", async () => {
    let e = await rejection(readDataset(await put(dir, "g.csv", 'text\nok\n"unclosed\n')));
    expect([e.code, e.line]).toEqual(["input", 3]);
    expect(e.message).toMatch(/CSV syntax error: a quote opened on line 3 is never closed/);
    e = await rejection(readDataset(await put(dir, "h.csv", "text,text\na,b\n")));
    expect(e.message).toMatch(/twice/);
  });

  it("a header without records, or nothing, is an empty file", async () => {
    expect((await rejection(readDataset(await put(dir, "i.csv", "text\n")))).message).toMatch(/empty file/);
    expect((await rejection(readDataset(await put(dir, "j.csv", "")))).message).toMatch(/empty file/);
  });
});
