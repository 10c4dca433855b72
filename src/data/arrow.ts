import { createReadStream } from "node:fs";
import { RecordBatchReader, Vector } from "apache-arrow";
import { ArrangeError, isArrangeError } from "../core/errors.js";
import type { FileStats, RecordSink } from "./collect.js";
import { streamFile } from "./io.js";

/**
 * One Arrow IPC file of a Hugging Face `save_to_disk` directory, read with the apache-arrow library
 * (datasets writes these with pyarrow's RecordBatchStreamWriter, src/datasets/arrow_writer.py:601; the
 * reader also takes the IPC file format). Rows are streamed batch by batch; nested lists and structs become
 * arrays and objects, 64-bit integers bigints (as from Parquet). Rows have no byte offsets (-1).
 */
export async function readArrow(path: string, sink: RecordSink): Promise<FileStats> {
  const stats = await streamFile(path, () => {});
  let row = 0;
  try {
    const reader = await RecordBatchReader.from(createReadStream(path));
    for await (const batch of reader) {
      for (const r of batch) {
        row++;
        sink.record(plain(r) as Record<string, unknown>, row, -1, -1);
      }
    }
  } catch (cause) {
    if (isArrangeError(cause)) throw cause;
    throw new ArrangeError("input", `not a readable Arrow IPC stream or file: ${(cause as Error).message}`, {
      file: path,
      line: row + 1,
      fix: "the .arrow files of a save_to_disk directory must be complete: save the dataset again (Dataset.save_to_disk)",
      cause,
    });
  }
  return stats;
}

/** An Arrow value as plain JavaScript: vectors as arrays, struct rows as objects. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Vector) return Array.from(value as Iterable<unknown>, plain);
  if (value instanceof Uint8Array || typeof value !== "object") return value;
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function" && !(value instanceof Date)) {
    const obj = toJSON.call(value) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = plain(v);
    return out;
  }
  return value;
}
