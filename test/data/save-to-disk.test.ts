import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Field,
  Int64,
  List,
  RecordBatchStreamWriter,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { writeArranged } from "../../src/data/write.js";
import { rejection, tempDir } from "./util.js";

const dir = await tempDir();

interface Row {
  messages: { role: string; content: string }[];
  id: bigint;
}
const rows: Row[] = Array.from({ length: 7 }, (_, i) => ({
  messages: [
    { role: "user", content: `question ${i}` },
    { role: "assistant", content: `answer ${i}` },
  ],
  id: BigInt(i),
}));

const MESSAGES = new List(
  new Field(
    "item",
    new Struct([new Field("role", new Utf8(), true), new Field("content", new Utf8(), true)]),
    true,
  ),
);

/** Arrow IPC stream bytes of rows, as pyarrow's RecordBatchStreamWriter (datasets' ArrowWriter) writes them. */
function arrowBytes(part: Row[]): Uint8Array {
  const table = new Table({
    messages: vectorFromArray(
      part.map((r) => r.messages),
      MESSAGES,
    ),
    id: vectorFromArray(
      part.map((r) => r.id),
      new Int64(),
    ),
  });
  return RecordBatchStreamWriter.writeAll(table).toUint8Array(true);
}

/** A Dataset.save_to_disk directory: data-0000k-of-0000n.arrow, state.json listing them, dataset_info.json. */
async function saveToDisk(path: string, parts: Row[][]): Promise<void> {
  await mkdir(path, { recursive: true });
  const names = parts.map(
    (_, k) => `data-${String(k).padStart(5, "0")}-of-${String(parts.length).padStart(5, "0")}.arrow`,
  );
  for (let k = 0; k < parts.length; k++) await writeFile(join(path, names[k]!), arrowBytes(parts[k]!));
  await writeFile(
    join(path, "state.json"),
    JSON.stringify({
      _data_files: names.map((filename) => ({ filename })),
      _fingerprint: "f",
      _split: "train",
    }),
  );
  await writeFile(join(path, "dataset_info.json"), JSON.stringify({ features: {} }));
}

describe("Hugging Face save_to_disk directories (Arrow IPC, apache-arrow)", () => {
  it("read as one dataset in state.json's order, nested lists and structs as arrays and objects", async () => {
    const path = join(dir, "saved");
    await saveToDisk(path, [rows.slice(0, 4), rows.slice(4)]);
    const ds = await readDataset(path, { keepRecords: true });
    expect(ds.files.map((f) => f.format)).toEqual(["arrow", "arrow"]);
    expect(ds.files[0]!.layout).toBe("messages");
    expect(ds.records).toEqual(rows);
    expect(ds.tasks.names).toEqual(["saved"]);
    const out = join(dir, "arranged.jsonl");
    await writeArranged(ds, [6, 0, 3], out);
    const back = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number });
    expect(back.map((r) => r.id)).toEqual([6, 0, 3]);
  });

  it("corrupt Arrow, a missing file, wrong columns and a DatasetDict: file, row and fix", async () => {
    const cut = join(dir, "cut");
    await saveToDisk(cut, [rows]);
    const file = join(cut, "data-00000-of-00001.arrow");
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const e = await rejection(readDataset(cut));
    expect(e.file).toBe(file);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.message).toMatch(/Arrow/);
    expect(e.fix).toMatch(/save_to_disk/);

    const missing = join(dir, "missing");
    await saveToDisk(missing, [rows]);
    await writeFile(
      join(missing, "state.json"),
      JSON.stringify({ _data_files: [{ filename: "data-9.arrow" }] }),
    );
    expect((await rejection(readDataset(missing))).message).toMatch(/_data_files\[0\] "data-9.arrow"/);

    const wrong = join(dir, "wrong");
    await mkdir(wrong);
    await writeFile(
      join(wrong, "data-00000-of-00001.arrow"),
      RecordBatchStreamWriter.writeAll(
        new Table({ label: vectorFromArray([1n, 2n], new Int64()) }),
      ).toUint8Array(true),
    );
    await writeFile(
      join(wrong, "state.json"),
      JSON.stringify({ _data_files: [{ filename: "data-00000-of-00001.arrow" }] }),
    );
    await writeFile(join(wrong, "dataset_info.json"), "{}");
    const w = await rejection(readDataset(wrong));
    expect(w.file).toBe(join(wrong, "data-00000-of-00001.arrow"));
    expect(w.line).toBe(1);

    const dict = join(dir, "dict");
    await mkdir(dict);
    await writeFile(join(dict, "dataset_dict.json"), JSON.stringify({ splits: ["train", "test"] }));
    const d = await rejection(readDataset(dict));
    expect(d.message).toMatch(/DatasetDict/);
    expect(d.fix).toContain(join(dict, "train"));
  });
});
