import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { atomicWrite, writeArranged, writeJsonLines } from "../../src/data/write.js";
import { jsonl, put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

/** Deterministic Fisher–Yates shuffle (a small LCG, so this test depends on nothing else). */
function shuffled<T extends { length: number; [i: number]: number }>(a: T, seed: number): T {
  let s = seed >>> 0;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** The input's lines (without terminators), skipping blank ones. */
function linesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = bytes[0] === 0xef ? 3 : 0;
  while (p < bytes.length) {
    let nl = bytes.indexOf(10, p);
    if (nl === -1) nl = bytes.length;
    let e = nl;
    if (e > p && bytes[e - 1] === 13) e--;
    const line = bytes.subarray(p, e);
    if (line.toString().trim() !== "") out.push(line);
    p = nl + 1;
  }
  return out;
}

describe("writeArranged: JSONL", () => {
  it("copies each line byte for byte in the given order", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      prompt: `p${i} ünï 🙂`,
      completion: `c${i}<|endoftext|>`,
    }));
    // Extra spaces inside the JSON must survive: bytes are copied, not re-serialized.
    const body = rows.map((r) => JSON.stringify(r, null, 0).replace(":", " :  ")).join("\r\n");
    const path = await put(dir, "in.jsonl", `\uFEFF${body}\r\n\r\n`);
    const ds = await readDataset(path);
    const input = linesOf(await readFile(path));
    const order = shuffled(
      Array.from({ length: 50 }, (_, i) => i),
      1,
    );
    const out = join(dir, "out.jsonl");
    expect(await writeArranged(ds, order, out)).toEqual({ format: "jsonl", rows: 50 });
    const expected = Buffer.concat(order.flatMap((r) => [input[r]!, Buffer.from("\n")]));
    expect((await readFile(out)).equals(expected)).toBe(true);
  });

  it("identity order reproduces a normalized file exactly; subsets and repeats work", async () => {
    const long = "x".repeat(3_000_000);
    const body = `${jsonl([{ text: "a" }, { text: long }, { text: "c" }])}`;
    const path = await put(dir, "id.jsonl", body);
    const ds = await readDataset(path);
    const out = join(dir, "id-out.jsonl");
    await writeArranged(ds, [0, 1, 2], out);
    expect((await readFile(out)).toString()).toBe(body);
    await writeArranged(ds, new Int32Array([2, 2, 0]), out);
    expect((await readFile(out)).toString()).toBe(`${jsonl([{ text: "c" }, { text: "c" }, { text: "a" }])}`);
    await writeArranged(ds, [], out);
    expect((await readFile(out)).length).toBe(0);
  });

  it("writes the rows of several files, skipping invalid rows", async () => {
    const d = join(dir, "tasks");
    await mkdir(d);
    await put(d, "a.jsonl", '{"text":"a1"}\nbad\n{"text":"a2"}\n');
    await put(d, "b.jsonl", '{"text":"b1"}\n');
    await put(d, "c.jsonl", "");
    const ds = await readDataset(d, { skipInvalid: true });
    const out = join(dir, "tasks.jsonl");
    await writeArranged(ds, [2, 0, 1], out);
    expect((await readFile(out)).toString()).toBe('{"text":"b1"}\n{"text":"a1"}\n{"text":"a2"}\n');
  });

  it("handles many rows in random order", async () => {
    const n = 200_000;
    const lines = Array.from({ length: n }, (_, i) => `{"text":"row ${i}","pad":"${"y".repeat(i % 50)}"}`);
    const path = await put(dir, "many.jsonl", `${lines.join("\n")}\n`);
    const ds = await readDataset(path, { texts: false });
    const order = shuffled(
      Int32Array.from({ length: n }, (_, i) => i),
      7,
    );
    const out = join(dir, "many-out.jsonl");
    await writeArranged(ds, order, out);
    const written = (await readFile(out)).toString().split("\n");
    expect(written.length).toBe(n + 1);
    for (let k = 0; k < n; k += 997) expect(written[k]).toBe(lines[order[k]!]);
  });
});

describe("writeArranged: JSON and CSV", () => {
  it("JSON: original element bytes in an array", async () => {
    const path = await put(dir, "in.json", '[ {"text": "a",  "n": 1}, {"text":"b"},\n\n{"text": "c"} ]');
    const ds = await readDataset(path);
    const out = join(dir, "out.json");
    await writeArranged(ds, [2, 0], out);
    const text = (await readFile(out)).toString();
    expect(text).toBe('[\n{"text": "c"},\n{"text": "a",  "n": 1}\n]\n');
    expect(JSON.parse(text)).toEqual([{ text: "c" }, { text: "a", n: 1 }]);
    await writeArranged(ds, [], out);
    expect(JSON.parse((await readFile(out)).toString())).toEqual([]);
  });

  it("CSV: header and original record bytes, newline terminated", async () => {
    const path = await put(dir, "in.csv", 'text,n\r\n"multi\r\nline",1\r\nplain,2\r\n"q ""x""",3');
    const ds = await readDataset(path);
    const out = join(dir, "out.csv");
    await writeArranged(ds, [2, 0, 1], out);
    expect((await readFile(out)).toString()).toBe('text,n\n"q ""x""",3\n"multi\r\nline",1\nplain,2\n');
    const again = await readDataset(out);
    expect(again.texts).toEqual(['q "x"', "multi\r\nline", "plain"]);
  });

  it("CSV files with different headers cannot be written as one", async () => {
    const d = join(dir, "csvs");
    await mkdir(d);
    await put(d, "a.csv", "text,n\nx,1\n");
    await put(d, "b.csv", "n,text\n2,y\n");
    const ds = await readDataset(d);
    const e = await rejection(writeArranged(ds, [0, 1], join(dir, "csvs.csv")));
    expect(e.code).toBe("usage");
    expect(e.message).toMatch(/different headers/);
  });

  it("mixed formats cannot be written as one", async () => {
    const d = join(dir, "mixed");
    await mkdir(d);
    await put(d, "a.jsonl", jsonl([{ text: "x" }]));
    await put(d, "b.csv", "text\ny\n");
    const ds = await readDataset(d);
    const e = await rejection(writeArranged(ds, [0, 1], join(dir, "mixed.jsonl")));
    expect(e.code).toBe("usage");
    expect(e.message).toMatch(/mixes formats/);
    expect(e.fix).toMatch(/convert/);
  });

  it("an output extension naming another format is a usage error; unknown extensions are fine", async () => {
    const ds = await readDataset(await put(dir, "fmt.jsonl", jsonl([{ text: "x" }])));
    const e = await rejection(writeArranged(ds, [0], join(dir, "fmt-out.csv")));
    expect(e.code).toBe("usage");
    expect(e.fix).toContain("fmt-out.jsonl");
    await writeArranged(ds, [0], join(dir, "fmt-out.ndjson"));
    await writeArranged(ds, [0], join(dir, "fmt-out.txt"));
    expect((await readFile(join(dir, "fmt-out.txt"))).toString()).toBe('{"text":"x"}\n');
  });

  it("rejects row indices outside the dataset", async () => {
    const ds = await readDataset(await put(dir, "idx.jsonl", jsonl([{ text: "x" }])));
    expect((await rejection(writeArranged(ds, [1], join(dir, "idx-out.jsonl")))).code).toBe("usage");
    expect((await rejection(writeArranged(ds, [0.5], join(dir, "idx-out.jsonl")))).code).toBe("usage");
  });
});

describe("atomic writes", () => {
  it("leaves no temporary file and keeps an existing output when writing fails", async () => {
    const d = join(dir, "atomic");
    await mkdir(d);
    const out = join(d, "out.jsonl");
    await writeFile(out, "previous\n");
    await expect(
      atomicWrite(out, async (fh) => {
        await fh.write("partial");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await readFile(out)).toString()).toBe("previous\n");
    expect(await readdir(d)).toEqual(["out.jsonl"]);
  });

  it("an input changed after reading fails the write and keeps the old output", async () => {
    const d = join(dir, "changed");
    await mkdir(d);
    const input = await put(d, "in.jsonl", jsonl([{ text: "a" }, { text: "b" }]));
    const ds = await readDataset(input);
    await writeFile(input, jsonl([{ text: "a" }]));
    const out = join(d, "out.jsonl");
    await writeFile(out, "previous\n");
    const e = await rejection(writeArranged(ds, [1, 0], out));
    expect([e.code, e.file]).toEqual(["io", input]);
    expect((await readFile(out)).toString()).toBe("previous\n");
    expect((await readdir(d)).sort()).toEqual(["in.jsonl", "out.jsonl"]);
  });

  it("a missing output directory is an io error naming the output", async () => {
    const e = await rejection(atomicWrite(join(dir, "no", "such", "x.jsonl"), async () => {}));
    expect(e.code).toBe("io");
    expect(e.file).toBe(join(dir, "no", "such", "x.jsonl"));
  });

  it("writeJsonLines writes one line per string", async () => {
    const out = join(dir, "meta.jsonl");
    await writeJsonLines(out, ['{"a":1}', '{"b":2}\n', JSON.stringify({ c: "ü" })]);
    expect((await readFile(out)).toString()).toBe('{"a":1}\n{"b":2}\n{"c":"ü"}\n');
    const many = Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ i, pad: "z".repeat(60) }));
    await writeJsonLines(out, many);
    expect((await readFile(out)).toString()).toBe(`${many.join("\n")}\n`);
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
