import type { FileHandle } from "node:fs/promises";
import { parquetSchema, type SchemaElement } from "hyparquet";
import { ByteWriter, parquetWrite } from "hyparquet-writer";
import { ArrangeError, usageError } from "../core/errors.js";
import { atomicWrite, writeAll } from "./atomic.js";
import { forEachParquetRowGroup, openParquet } from "./parquet.js";
import type { Dataset } from "./types.js";

/** hyparquet-writer output that goes to a file after every row group instead of growing in memory. */
class FileHandleWriter extends ByteWriter {
  constructor(private readonly fh: FileHandle) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const bytes = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return writeAll(this.fh, bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

function schemaKey(schema: SchemaElement[]): string {
  return JSON.stringify(schema, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Rewrite Parquet rows in the given order with the input's schema. Rows are read back from the input files
 * (the Dataset keeps only their positions).
 */
export async function writeParquetRows(
  ds: Dataset,
  order: ArrayLike<number>,
  outPath: string,
): Promise<void> {
  const used = [...new Set(Array.from(order, (r) => ds.refs.file[r]!))].sort((a, b) => a - b);
  const rowsOf = new Map<number, Record<string, unknown>[]>();
  let schema: SchemaElement[] | undefined;
  let schemaFrom = "";
  for (const index of used.length > 0 ? used : [ds.files.findIndex((f) => f.rows > 0)]) {
    const path = ds.files[index]!.path;
    const source = await openParquet(path);
    try {
      if (schema === undefined) {
        schema = source.metadata.schema;
        schemaFrom = path;
      } else if (schemaKey(schema) !== schemaKey(source.metadata.schema)) {
        throw usageError(
          `the Parquet files have different schemas (${schemaFrom} and ${path}), so there is no one schema to write`,
          "--out",
          "give all Parquet files the same columns and types, or convert them to JSONL",
        );
      }
      const rows: Record<string, unknown>[] = [];
      await forEachParquetRowGroup(path, source, (group) => {
        for (const row of group) rows.push(row);
      });
      rowsOf.set(index, rows);
    } finally {
      await source.close();
    }
  }
  const columns = parquetSchema({ schema: schema! } as Parameters<typeof parquetSchema>[0]).children.map(
    (c) => c.element.name,
  );
  const { file, line } = ds.refs;
  const columnData = columns.map((name) => {
    const data = new Array<unknown>(order.length);
    for (let k = 0; k < order.length; k++) {
      const r = order[k]!;
      const row = rowsOf.get(file[r]!)?.[line[r]! - 1];
      if (row === undefined) {
        throw new ArrangeError("io", "the input file changed after it was read", {
          file: ds.files[file[r]!]?.path,
          fix: "do not modify the input while arranging; run again",
        });
      }
      data[k] = row[name];
    }
    return { name, data };
  });
  await atomicWrite(outPath, async (fh) => {
    try {
      await parquetWrite({
        writer: new FileHandleWriter(fh),
        columnData,
        schema: schema!,
        rowGroupSize: 100_000,
      });
    } catch (cause) {
      if (cause instanceof ArrangeError || (cause as NodeJS.ErrnoException).code !== undefined) throw cause;
      throw new ArrangeError("input", `cannot write this Parquet schema back: ${(cause as Error).message}`, {
        file: schemaFrom,
        fix: "convert the input to JSONL (e.g. pandas: pd.read_parquet(p).to_json(out, orient='records', lines=True)) and arrange that",
        cause,
      });
    }
  });
}
