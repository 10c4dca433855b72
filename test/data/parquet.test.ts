import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { writeArranged } from "../../src/data/write.js";
import { put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

function flat(n: number, offset = 0): Uint8Array {
  const ids = Array.from({ length: n }, (_, i) => i + offset);
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "instruction", data: ids.map((i) => `do ${i}`), type: "STRING" },
        { name: "output", data: ids.map((i) => `done ${i}</s>`), type: "STRING" },
        { name: "id", data: ids, type: "INT32" },
        { name: "score", data: ids.map((i) => i / 4), type: "DOUBLE" },
        { name: "big", data: ids.map((i) => BigInt(i) * 10_000_000_000n), type: "INT64" },
        { name: "ok", data: ids.map((i) => i % 2 === 0), type: "BOOLEAN" },
        { name: "note", data: ids.map((i) => (i % 3 === 0 ? null : `n${i}`)), type: "STRING" },
      ],
      rowGroupSize: 7,
    }),
  );
}

function nested(): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        {
          name: "messages",
          data: [
            [
              { role: "user", content: "Hello" },
              { role: "assistant", content: "Hi!<|im_end|>" },
            ],
            [{ role: "user", content: "Bye" }],
          ],
        },
        { name: "task", data: ["greet", "part"] },
      ],
      schema: [
        { name: "root", num_children: 2 },
        { name: "messages", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "task", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      ],
    }),
  );
}

async function readRows(path: string) {
  const bytes = await readFile(path);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { rows: await parquetReadObjects({ file: buf }), metadata: parquetMetadata(buf) };
}

describe("Parquet", () => {
  it("reads rows over several row groups, with 1-based rows and no byte spans", async () => {
    const path = await put(dir, "flat.parquet", flat(20));
    const ds = await readDataset(path);
    expect(ds.files[0]).toMatchObject({ format: "parquet", layout: "alpaca", rows: 20 });
    expect(ds.texts![0]).toBe("do 0 done 0");
    expect(ds.texts![19]).toBe("do 19 done 19");
    expect(ds.strippedMarkers).toBe(20);
    expect(Array.from(ds.refs.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(ds.refs.start[0]).toBe(-1);
    expect(ds.refs.end[0]).toBe(-1);
  });

  it("reads nested list-of-struct columns (messages) and a task field", async () => {
    const path = await put(dir, "nested.parquet", nested());
    const ds = await readDataset(path);
    expect(ds.files[0]!.layout).toBe("messages");
    expect(ds.texts).toEqual(["Hello Hi!", "Bye"]);
    expect(ds.taskSource).toBe("field:task");
    expect(ds.tasks.names).toEqual(["greet", "part"]);
  });

  it("writes reordered rows with the same schema", async () => {
    const path = await put(dir, "w.parquet", flat(20));
    const ds = await readDataset(path);
    const order = [19, 3, 0, 7, 7, 12];
    const out = join(dir, "out.parquet");
    expect(await writeArranged(ds, order, out)).toEqual({ format: "parquet", rows: 6 });
    const input = await readRows(path);
    const output = await readRows(out);
    expect(output.rows).toEqual(order.map((r) => input.rows[r]));
    expect(output.metadata.schema).toEqual(input.metadata.schema);
  });

  it("writes nested columns and rows from several files", async () => {
    const d = join(dir, "multi");
    await mkdir(d);
    await put(d, "a.parquet", flat(5));
    await put(d, "b.parquet", flat(5, 100));
    const ds = await readDataset(d);
    const out = join(dir, "multi-out.parquet");
    await writeArranged(ds, [9, 0, 5, 4], out);
    const ids = (await readRows(out)).rows.map((r) => r.id);
    expect(ids).toEqual([104, 0, 100, 4]);

    const n = await put(dir, "n.parquet", nested());
    const nds = await readDataset(n);
    const nout = join(dir, "n-out.parquet");
    await writeArranged(nds, [1, 0], nout);
    const rows = (await readRows(nout)).rows;
    expect(rows.map((r) => r.task)).toEqual(["part", "greet"]);
    expect(rows[1]!.messages).toEqual([
      { role: "user", content: "Hello" },
      { role: "assistant", content: "Hi!<|im_end|>" },
    ]);
  });

  it("files with different schemas cannot be written as one", async () => {
    const d = join(dir, "schemas");
    await mkdir(d);
    await put(d, "a.parquet", flat(3));
    await put(
      d,
      "b.parquet",
      new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "text", data: ["x"] }] })),
    );
    const ds = await readDataset(d);
    const e = await rejection(writeArranged(ds, [0, 3], join(dir, "s.parquet")));
    expect(e.code).toBe("usage");
    expect(e.message).toMatch(/different schemas/);
  });

  it("rejects files that are not Parquet", async () => {
    const e = await rejection(readDataset(await put(dir, "fake.parquet", "not parquet at all")));
    expect(e.code).toBe("input");
    expect(e.message).toMatch(/not a readable Parquet file/);
    expect((await rejection(readDataset(await put(dir, "zero.parquet", "")))).message).toMatch(/empty file/);
  });
});
