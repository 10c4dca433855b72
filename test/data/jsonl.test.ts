import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { readDataset } from "../../src/data/read.js";
import { jsonl, put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

describe("readDataset: JSON Lines", () => {
  it("reads prompt-completion rows, strips end markers and keeps byte spans", async () => {
    const rows = [
      { prompt: "Translate: chat", completion: " cat<|endoftext|>" },
      { prompt: "  2+2? ", completion: "4 </s>" },
      { prompt: "no marker", completion: "done" },
    ];
    const path = await put(dir, "pc.jsonl", jsonl(rows));
    const ds = await readDataset(path);
    expect(ds.count).toBe(3);
    expect(ds.texts).toEqual(["Translate: chat cat", "2+2? 4", "no marker done"]);
    expect(ds.strippedMarkers).toBe(2);
    expect(ds.files[0]).toMatchObject({
      format: "jsonl",
      layout: "prompt-completion",
      rows: 3,
      skipped: 0,
      task: "pc",
    });
    expect(ds.taskSource).toBe("single");
    expect(ds.tasks.names).toEqual(["pc"]);
    expect(Array.from(ds.tasks.taskOf)).toEqual([0, 0, 0]);
    expect(Array.from(ds.refs.line)).toEqual([1, 2, 3]);
    expect(Array.from(ds.refs.ordinal)).toEqual([0, 1, 2]);
    const bytes = await readFile(path);
    for (let i = 0; i < 3; i++) {
      const text = bytes.subarray(ds.refs.start[i], ds.refs.end[i]).toString("utf8");
      expect(JSON.parse(text)).toEqual(rows[i]);
      expect(text).toBe(JSON.stringify(rows[i]));
    }
    expect(ds.files[0]!.bytes).toBe(bytes.length);
    expect(ds.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("handles \\r\\n line ends, a byte-order mark, blank lines and a last line without newline", async () => {
    const body = '\uFEFF{"text":"a"}\r\n\r\n   \r\n{"text":"b"}\n\t\n{"text":"c"}';
    const path = await put(dir, "crlf.jsonl", body);
    const ds = await readDataset(path);
    expect(ds.texts).toEqual(["a", "b", "c"]);
    expect(ds.blankLines).toBe(3);
    expect(ds.files[0]!.blankLines).toBe(3);
    expect(Array.from(ds.refs.line)).toEqual([1, 4, 6]);
    const bytes = await readFile(path);
    const spans = [0, 1, 2].map((i) => bytes.subarray(ds.refs.start[i], ds.refs.end[i]).toString("utf8"));
    expect(spans).toEqual(['{"text":"a"}', '{"text":"b"}', '{"text":"c"}']);
  });

  it("keeps unicode and lines longer than a read chunk intact", async () => {
    const long = "é🙂".repeat(700_000); // ~4.2 MB of UTF-8, crossing several 1 MiB chunks
    const rows = [{ text: "日本語 ünïcödé 🙂" }, { text: long }, { text: "after" }];
    const path = await put(dir, "long.jsonl", jsonl(rows));
    const ds = await readDataset(path);
    expect(ds.texts).toEqual([rows[0]!.text, long, "after"]);
    const bytes = await readFile(path);
    expect(bytes.subarray(ds.refs.start[1], ds.refs.end[1]).toString("utf8")).toBe(JSON.stringify(rows[1]));
    expect(ds.refs.end[2]).toBe(bytes.length - 1);
  });

  it(".ndjson is JSON Lines", async () => {
    const ds = await readDataset(await put(dir, "x.ndjson", jsonl([{ text: "t" }])));
    expect(ds.files[0]!.format).toBe("jsonl");
  });

  it("reports a malformed line with file and line", async () => {
    const path = await put(dir, "bad.jsonl", '{"text":"a"}\n\n{"text": oops}\n');
    const e = await rejection(readDataset(path));
    expect(e.code).toBe("input");
    expect(e.file).toBe(path);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/not valid JSON/);
    expect(e.fix).toMatch(/--skip-invalid/);
  });

  it("reports a line that is not an object", async () => {
    const path = await put(dir, "arr.jsonl", '{"text":"a"}\n[1,2]\n');
    const e = await rejection(readDataset(path));
    expect([e.line, e.message]).toEqual([2, "line is an array, not a JSON object"]);
  });

  it("reports a non-UTF-8 line", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"text":"ok"}\n{"text":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n'),
    ]);
    const path = await put(dir, "latin1.jsonl", bytes);
    const e = await rejection(readDataset(path));
    expect([e.code, e.file, e.line]).toEqual(["input", path, 2]);
    expect(e.message).toMatch(/UTF-8/);
    expect(e.fix).toMatch(/iconv|UTF-8/);
  });

  it("reports a record of no known layout, naming its fields and suggesting --template", async () => {
    const path = await put(dir, "unknown.jsonl", jsonl([{ question: "q", answer: "a", id: 3 }]));
    const e = await rejection(readDataset(path));
    expect([e.code, e.file, e.line]).toEqual(["input", path, 1]);
    expect(e.message).toContain("question, answer, id");
    expect(e.fix).toContain('--template "{question} {answer}"');
    expect(e.fix).toContain("--task-field");
  });

  it("reports a row missing the layout's text field", async () => {
    const path = await put(dir, "missing.jsonl", jsonl([{ prompt: "p", completion: "c" }, { prompt: "p2" }]));
    const e = await rejection(readDataset(path));
    expect([e.line, e.message]).toEqual([2, 'row has no "completion" field']);
  });

  it("reports an empty file and a file of blank lines", async () => {
    const empty = await put(dir, "empty.jsonl", "");
    let e = await rejection(readDataset(empty));
    expect([e.code, e.file]).toEqual(["input", empty]);
    expect(e.message).toMatch(/empty file/);
    const blank = await put(dir, "blank.jsonl", "\n  \n\r\n");
    e = await rejection(readDataset(blank, { skipInvalid: true }));
    expect(e.message).toMatch(/empty file.*3 blank lines/);
  });

  it("reports a missing file as an io error", async () => {
    const e = await rejection(readDataset(`${dir}/nope.jsonl`));
    expect(e.code).toBe("io");
    expect(e.file).toBe(`${dir}/nope.jsonl`);
    expect(e.fix).toMatch(/does not exist/);
  });

  it("rejects a file of unknown type", async () => {
    const e = await rejection(readDataset(await put(dir, "data.txt", "hello\n")));
    expect(e.code).toBe("input");
    expect(e.fix).toMatch(/\.jsonl/);
  });

  it("skips invalid rows with skipInvalid, counting them and keeping input ordinals", async () => {
    const body = [
      '{"text":"a"}',
      "not json",
      '{"text":"b"}',
      '{"other":1}', // text layout needs "text"
      "",
      '{"text":"c"}',
    ].join("\n");
    const path = await put(dir, "skip.jsonl", body);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.texts).toEqual(["a", "b", "c"]);
    expect(ds.skippedCount).toBe(2);
    expect(ds.skipped.map((s) => [s.file, s.line])).toEqual([
      [path, 2],
      [path, 4],
    ]);
    expect(ds.skipped[1]!.reason).toBe('row has no "text" field');
    expect(ds.files[0]).toMatchObject({ rows: 3, skipped: 2 });
    expect(Array.from(ds.refs.line)).toEqual([1, 3, 6]);
    expect(Array.from(ds.refs.ordinal)).toEqual([0, 2, 4]);
    expect(ds.blankLines).toBe(1);
  });

  it("detects the layout from the first usable record when skipping", async () => {
    const path = await put(dir, "skipfirst.jsonl", `{"foo":1}\n${jsonl([{ text: "x" }])}`);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.files[0]!.layout).toBe("text");
    expect(ds.skippedCount).toBe(1);
  });

  it("caps the skipped list at 1000 but counts every skipped row", async () => {
    const lines = Array.from({ length: 1500 }, (_, i) =>
      i % 2 === 0 ? "{bad" : JSON.stringify({ text: `r${i}` }),
    );
    const ds = await readDataset(await put(dir, "many.jsonl", lines.join("\n")), { skipInvalid: true });
    expect(ds.count).toBe(750);
    expect(ds.skippedCount).toBe(750);
    expect(ds.skipped.length).toBe(750);
    const more = Array.from({ length: 2600 }, (_, i) => (i < 2500 ? "{bad" : JSON.stringify({ text: "ok" })));
    const ds2 = await readDataset(await put(dir, "more.jsonl", more.join("\n")), { skipInvalid: true });
    expect(ds2.skippedCount).toBe(2500);
    expect(ds2.skipped.length).toBe(1000);
  });

  it("still fails when every row is invalid", async () => {
    const path = await put(dir, "allbad.jsonl", "{bad\n{worse\n");
    const e = await rejection(readDataset(path, { skipInvalid: true }));
    expect([e.code, e.file, e.line]).toEqual(["input", path, 1]);
    expect(e.message).toMatch(/no usable rows: all 2 records were invalid/);
  });

  it("texts: false validates rows but keeps no texts", async () => {
    const path = await put(dir, "notext.jsonl", jsonl([{ text: "a" }, { text: "b" }]));
    const ds = await readDataset(path, { texts: false });
    expect(ds.texts).toBeUndefined();
    expect(ds.count).toBe(2);
    await rejection(
      readDataset(await put(dir, "notext-bad.jsonl", '{"text":"a"}\n{"x":1}\n'), { texts: false }),
    );
  });

  it("emits progress events every 10k rows and at the end", async () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => ({ text: `row ${i}` }));
    const path = await put(dir, "progress.jsonl", jsonl(rows));
    const events: ProgressEvent[] = [];
    await readDataset(path, { label: "train", onProgress: (e) => events.push(e) });
    expect(events.map((e) => [e.stage, e.done, e.unit])).toEqual([
      ["read:train", 10_000, "rows"],
      ["read:train", 20_000, "rows"],
      ["read:train", 25_000, "rows"],
    ]);
  });
});
