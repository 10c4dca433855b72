import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { writeArranged } from "../../src/data/write.js";
import { put, rejection, tempDir } from "./util.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const dir = await tempDir();
const plainPath = join(FIXTURES, "alpaca40.jsonl");
const plain = await readFile(plainPath);
const rows = plain
  .toString("utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const csvText = `instruction,output\n${rows.map((r) => `"${r.instruction}","${String(r.output)}"`).join("\n")}\n`;

async function same(compressed: string, reference: string): Promise<void> {
  const a = await readDataset(compressed, { keepRecords: true });
  const b = await readDataset(reference, { keepRecords: true });
  expect(a.records).toEqual(b.records);
  expect(a.texts).toEqual(b.texts);
  expect(a.strippedMarkers).toBe(b.strippedMarkers);
  expect(Array.from(a.refs.line)).toEqual(Array.from(b.refs.line));
}

describe("compressed inputs (.gz, .zst), streamed", () => {
  it("jsonl.gz, json.gz, csv.gz and jsonl.zst read as their plain files", async () => {
    await same(await put(dir, "a.jsonl.gz", gzipSync(plain)), plainPath);
    const json = `[\n${rows.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`;
    await same(await put(dir, "a.json.gz", gzipSync(json)), await put(dir, "a.json", json));
    await same(await put(dir, "a.csv.gz", gzipSync(csvText)), await put(dir, "a.csv", csvText));
    await same(join(FIXTURES, "alpaca40.jsonl.zst"), plainPath);
  });

  it("a directory of compressed task files names tasks without .jsonl.gz, and arranged output copies the rows byte for byte", async () => {
    const tasks = join(dir, "tasks");
    await mkdir(tasks);
    await put(dir, "tasks/alpha.jsonl.gz", gzipSync(plain));
    await copyFile(join(FIXTURES, "alpaca40.jsonl.zst"), join(tasks, "beta.jsonl.zst"));
    const ds = await readDataset(tasks, { texts: false });
    expect(ds.tasks.names).toEqual(["alpha", "beta"]);
    expect(ds.count).toBe(80);
    const order = Array.from({ length: 80 }, (_, k) => (k * 37) % 80);
    const out = join(dir, "arranged.jsonl");
    await writeArranged(ds, order, out);
    const lines = plain.toString("utf8").trim().split("\n");
    const expected = order.map((i) => lines[i % 40]).join("\n");
    expect(await readFile(out, "utf8")).toBe(`${expected}\n`);
    await expect(writeArranged(ds, order, join(dir, "arranged.jsonl.gz"))).rejects.toThrow(/compressed/);
  });

  it("truncated or corrupt gzip and zstd: input error with file, row and fix, nothing written", async () => {
    const gz = gzipSync(plain);
    const truncated = await put(dir, "cut.jsonl.gz", gz.subarray(0, Math.floor(gz.length * 0.6)));
    const e = await rejection(readDataset(truncated));
    expect(e.code).toBe("input");
    expect(e.file).toBe(truncated);
    expect(e.line).toBeGreaterThan(1);
    expect(e.message).toMatch(/truncated or corrupt gzip data/);
    expect(e.fix).toMatch(/gzip -t/);
    const notGzip = await put(dir, "plain-named.jsonl.gz", plain);
    expect((await rejection(readDataset(notGzip))).message).toMatch(/corrupt gzip/);
    const zst = await readFile(join(FIXTURES, "alpaca40.jsonl.zst"));
    const badZst = await put(dir, "bad.jsonl.zst", Buffer.concat([zst.subarray(0, 20), Buffer.alloc(40, 7)]));
    const z = await rejection(readDataset(badZst));
    expect(z.message).toMatch(/corrupt zstd data/);
    expect(z.fix).toMatch(/zstd -t/);
    const csvCut = gzipSync(csvText);
    const c = await rejection(
      readDataset(await put(dir, "cut.csv.gz", csvCut.subarray(0, csvCut.length - 30))),
    );
    expect(c.file).toMatch(/cut\.csv\.gz$/);
    expect(c.message).not.toMatch(/instruct-arrange-csv-/);
    expect(existsSync(join(dir, "nothing.jsonl"))).toBe(false);
  });
});
