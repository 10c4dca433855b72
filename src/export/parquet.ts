import type { SchemaElement } from "hyparquet";
import { parquetWriteFile } from "hyparquet-writer";
import { ArrangeError } from "../core/errors.js";
import { ioError } from "../data/io.js";
import { recordJson } from "../data/record-json.js";

/** The Parquet type of a column (or nested field), inferred from every value in it. */
type Kind =
  | { kind: "string" }
  | { kind: "bool" }
  | { kind: "int" }
  | { kind: "double" }
  | { kind: "json" }
  | { kind: "list"; item: Kind | null }
  | { kind: "struct"; fields: Map<string, Kind | null> };

const JSON_KIND: Kind = { kind: "json" };

function kindOf(value: unknown): Kind | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
      return { kind: "string" };
    case "boolean":
      return { kind: "bool" };
    case "bigint":
      return { kind: "int" };
    case "number":
      return Number.isSafeInteger(value) ? { kind: "int" } : { kind: "double" };
  }
  if (Array.isArray(value)) {
    let item: Kind | null = null;
    for (const v of value) item = merge(item, kindOf(v));
    return { kind: "list", item };
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const fields = new Map<string, Kind | null>();
    for (const [k, v] of Object.entries(value)) fields.set(k, kindOf(v));
    return fields.size === 0 ? JSON_KIND : { kind: "struct", fields };
  }
  return JSON_KIND;
}

function merge(a: Kind | null, b: Kind | null): Kind | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.kind === "json" || b.kind === "json") return JSON_KIND;
  if (a.kind === b.kind) {
    if (a.kind === "list" && b.kind === "list") return { kind: "list", item: merge(a.item, b.item) };
    if (a.kind === "struct" && b.kind === "struct") {
      const fields = new Map(a.fields);
      for (const [k, v] of b.fields) fields.set(k, merge(fields.get(k) ?? null, v));
      return { kind: "struct", fields };
    }
    return a;
  }
  if ((a.kind === "int" && b.kind === "double") || (a.kind === "double" && b.kind === "int")) {
    return { kind: "double" };
  }
  return JSON_KIND;
}

function schemaOf(name: string, kind: Kind | null, out: SchemaElement[]): void {
  const k = kind ?? { kind: "string" };
  switch (k.kind) {
    case "string":
      out.push({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" });
      return;
    case "json":
      out.push({ name, type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "OPTIONAL" });
      return;
    case "bool":
      out.push({ name, type: "BOOLEAN", repetition_type: "OPTIONAL" });
      return;
    case "int":
      out.push({ name, type: "INT64", repetition_type: "OPTIONAL" });
      return;
    case "double":
      out.push({ name, type: "DOUBLE", repetition_type: "OPTIONAL" });
      return;
    case "list":
      out.push({ name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 });
      out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
      schemaOf("element", k.item, out);
      return;
    case "struct":
      out.push({ name, repetition_type: "OPTIONAL", num_children: k.fields.size });
      for (const [field, v] of k.fields) schemaOf(field, v, out);
      return;
  }
}

/** A value in the form hyparquet-writer takes for its inferred kind. */
function convert(value: unknown, kind: Kind | null): unknown {
  if (value === null || value === undefined || kind === null) return null;
  switch (kind.kind) {
    case "string":
    case "bool":
      return value;
    case "int":
      return typeof value === "bigint" ? value : BigInt(value as number);
    case "double":
      return Number(value);
    case "json":
      return recordJson(value);
    case "list":
      return (value as unknown[]).map((v) => convert(v, kind.item));
    case "struct": {
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const [field, v] of kind.fields) out[field] = convert(obj[field], v);
      return out;
    }
  }
}

export interface ParquetTable {
  schema: SchemaElement[];
  columns: { name: string; kind: Kind | null }[];
}

/** The schema of records: one column per field (first-seen order), nested lists and structs kept as such. */
export function inferTable(records: Record<string, unknown>[]): ParquetTable {
  const kinds = new Map<string, Kind | null>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) kinds.set(k, merge(kinds.get(k) ?? null, kindOf(v)));
  }
  const schema: SchemaElement[] = [{ name: "root", num_children: kinds.size }];
  const columns: { name: string; kind: Kind | null }[] = [];
  for (const [name, kind] of kinds) {
    schemaOf(name, kind, schema);
    columns.push({ name, kind });
  }
  return { schema, columns };
}

/** Columns whose values could not share one Parquet type and are stored as JSON text. */
export function jsonColumns(table: ParquetTable): string[] {
  return table.columns.filter((c) => c.kind?.kind === "json").map((c) => c.name);
}

/** Write rows [from, to) of records to one Parquet file. */
export function writeParquetShard(
  path: string,
  table: ParquetTable,
  records: Record<string, unknown>[],
  from: number,
  to: number,
): void {
  const columnData = table.columns.map(({ name, kind }) => {
    const data = new Array<unknown>(to - from);
    for (let k = from; k < to; k++) data[k - from] = convert(records[k]![name], kind);
    return { name, data };
  });
  try {
    parquetWriteFile({ filename: path, schema: table.schema, columnData, rowGroupSize: 100_000 });
  } catch (cause) {
    // A file-system error (a full disk) names the user's path and the fix, as every other write does.
    if ((cause as NodeJS.ErrnoException).code !== undefined)
      throw ioError(path, cause, "write the Parquet shard");
    throw new ArrangeError("internal", `cannot write the Parquet shard: ${(cause as Error).message}`, {
      file: path,
      fix: "export with --to trl or --to axolotl (JSONL) meanwhile, and report this",
      cause,
    });
  }
}
