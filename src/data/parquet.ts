import type { FileHandle } from "node:fs/promises";
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { inputError, isArrangeError } from "../core/errors.js";
import type { FileStats, RecordSink } from "./collect.js";
import { ioError, openForRead, streamFile } from "./io.js";

export interface ParquetSource {
  file: AsyncBuffer;
  metadata: FileMetaData;
  close(): Promise<void>;
}

/** hyparquet's view of a file: positioned reads on one open file handle. */
function fileBuffer(fh: FileHandle, size: number, path: string): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end: number = size): Promise<ArrayBuffer> {
      const bytes = new Uint8Array(Math.max(0, end - start));
      let done = 0;
      while (done < bytes.length) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(bytes, done, bytes.length - done, start + done));
        } catch (cause) {
          throw ioError(path, cause, "read the file");
        }
        if (bytesRead === 0)
          throw ioError(path, new Error("the file is shorter than its footer says"), "read the file");
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

/** Open a Parquet file and read its footer; a file hyparquet cannot read is an "input" error. Call close() when done. */
export async function openParquet(path: string): Promise<ParquetSource> {
  const fh = await openForRead(path);
  const close = () => fh.close();
  try {
    const { size } = await fh.stat();
    if (size === 0) {
      throw inputError(
        "empty file: no records",
        path,
        undefined,
        "write at least one row to the file, or remove it",
      );
    }
    const file = fileBuffer(fh, size, path);
    return { file, metadata: await parquetMetadataAsync(file), close };
  } catch (cause) {
    await close();
    if (isArrangeError(cause)) throw cause;
    throw inputError(
      `not a readable Parquet file: ${(cause as Error).message}`,
      path,
      undefined,
      "check that the file is a complete Parquet file (or give it the extension of its real format)",
    );
  }
}

/** Read rows as objects, one row group at a time; calls `onRows` with each group's rows and the index of its first row. */
export async function forEachParquetRowGroup(
  path: string,
  source: ParquetSource,
  onRows: (rows: Record<string, unknown>[], firstRow: number) => void | Promise<void>,
): Promise<void> {
  let rowStart = 0;
  for (const group of source.metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: source.file, metadata: source.metadata, rowStart, rowEnd });
    } catch (cause) {
      throw inputError(
        `cannot read Parquet rows ${rowStart + 1}..${rowEnd}: ${(cause as Error).message}`,
        path,
        rowStart + 1,
        "rewrite the file with a standard Parquet writer (pyarrow, pandas, polars), or convert it to JSONL",
      );
    }
    await onRows(rows, rowStart);
    rowStart = rowEnd;
  }
}

/** Read a Parquet file's rows as records; `line` is the 1-based row and there are no byte spans. */
export async function readParquet(path: string, sink: RecordSink): Promise<FileStats> {
  const digest = hashFile(path);
  digest.catch(() => {});
  const source = await openParquet(path);
  try {
    await forEachParquetRowGroup(path, source, (rows, firstRow) => {
      for (let i = 0; i < rows.length; i++) sink.record(rows[i]!, firstRow + i + 1, -1, -1);
    });
  } finally {
    await source.close();
  }
  return digest;
}

function hashFile(path: string): Promise<FileStats> {
  return streamFile(path, () => {});
}
