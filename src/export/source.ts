import { closeSync, openSync, readSync } from "node:fs";
import { access } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { inputError, usageError } from "../core/errors.js";
import { compressionOfPath, ioError } from "../data/io.js";
import { readDataset } from "../data/read.js";
import type { Dataset, LayoutName } from "../data/types.js";
import { inputChangedError } from "../data/write.js";

export type RowLayout = Exclude<LayoutName, "template">;

/** The arranged rows in training order, with where each came from (for error messages). */
export interface ArrangedRows {
  dataset: Dataset;
  /** Every row's record; empty when the rows are streamed (`stream`). */
  records: Record<string, unknown>[];
  layout: RowLayout;
  /**
   * Rows read again from the input, one record at a time in row order (each call starts a new pass):
   * set instead of `records` by readArranged with `stream`, where the input allows it.
   */
  stream?: () => Iterable<Record<string, unknown>>;
}

/**
 * The arranged rows. With `stream`, JSONL and JSON-array inputs (uncompressed) are not held in memory:
 * the first read keeps only where each row's bytes are, and `stream()` parses them again as they are
 * needed (so memory stays bounded whatever the input's size); other inputs are read into `records`.
 */
export async function readArranged(input: string, options: { stream?: boolean } = {}): Promise<ArrangedRows> {
  if (options.stream === true) {
    const rows = await readRows(input, false);
    if (streamable(rows.dataset)) return { ...rows, stream: () => rereadRecords(rows.dataset) };
  }
  return readRows(input, true);
}

function streamable(ds: Dataset): boolean {
  return (
    ds.inMemory !== true &&
    ds.files.every(
      (f) =>
        f.rows === 0 ||
        ((f.format === "jsonl" || f.format === "json") && compressionOfPath(f.path) === undefined),
    )
  );
}

/** Bytes read at once when rows are parsed again (rows follow each other in their files). */
const REREAD_BYTES = 1 << 20;

/**
 * Every kept row's record, parsed again from its bytes (JSONL lines and JSON-array elements are whole JSON
 * values there, which the readers parsed with JSON.parse as well). Bytes that no longer parse mean the file
 * changed since it was read: that is an error, and the caller checks the files' hashes after the pass too.
 */
function* rereadRecords(ds: Dataset): Generator<Record<string, unknown>> {
  const { file, start, end } = ds.refs;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let buf = Buffer.alloc(REREAD_BYTES);
  let fd = -1;
  let current = -1;
  let bufStart = 0;
  let bufLen = 0;
  try {
    for (let k = 0; k < ds.count; k++) {
      const f = file[k]!;
      const info = ds.files[f]!;
      if (f !== current) {
        if (fd >= 0) closeSync(fd);
        fd = -1;
        try {
          fd = openSync(info.path, "r");
        } catch (cause) {
          throw ioError(info.path, cause, "read the input again");
        }
        current = f;
        bufLen = 0;
      }
      const from = start[k]!;
      const to = end[k]!;
      if (from < bufStart || to > bufStart + bufLen) {
        if (to - from > buf.length) buf = Buffer.alloc(to - from);
        try {
          bufLen = readSync(fd, buf, 0, buf.length, from);
        } catch (cause) {
          throw ioError(info.path, cause, "read the input again");
        }
        bufStart = from;
        if (to > bufStart + bufLen) throw inputChangedError(info);
      }
      let value: unknown;
      try {
        value = JSON.parse(decoder.decode(buf.subarray(from - bufStart, to - bufStart)));
      } catch {
        throw inputChangedError(info);
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw inputChangedError(info);
      yield value as Record<string, unknown>;
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

async function readRows(input: string, keepRecords: boolean): Promise<ArrangedRows> {
  let dataset: Dataset;
  try {
    dataset = await readDataset(input, { texts: false, keepRecords, label: "input" });
  } catch (e) {
    throw (await mixedLayoutError(input)) ?? e;
  }
  const layouts = [...new Set(dataset.files.filter((f) => f.rows > 0).map((f) => f.layout))];
  const layout = layouts[0];
  if (layouts.length !== 1 || layout === undefined || layout === "none" || layout === "template") {
    const where = dataset.files.map((f) => `${f.path}: ${f.layout}`).join("; ");
    throw usageError(
      `the input mixes record layouts (${where}), so there is no one trainer layout to convert it to`,
      "--input",
      "export an arranged set whose rows share one layout (arrange writes its output in the input's layout)",
    );
  }
  return { dataset, records: dataset.records ?? [], layout };
}

/**
 * When rows of one file have different layouts (alpaca rows and prompt/completion rows, say), name them:
 * no trainer format takes both, and skipping the "invalid" ones would drop a whole layout.
 */
async function mixedLayoutError(input: string) {
  let probe: Dataset;
  try {
    probe = await readDataset(input, {
      texts: false,
      skipInvalid: true,
      reportLayouts: true,
      label: "input",
    });
  } catch {
    return undefined;
  }
  const other = probe.otherLayouts ?? [];
  if (other.length === 0) return undefined;
  const first = other[0]!;
  const byLayout = new Map<string, number>();
  for (const o of other) byLayout.set(o.layout, (byLayout.get(o.layout) ?? 0) + 1);
  const counts = [...byLayout].map(([l, n]) => `${n} ${l} row${n === 1 ? "" : "s"}`).join(", ");
  const lines = other
    .slice(0, 5)
    .map((o) => o.line)
    .join(", ");
  return inputError(
    `the file mixes record layouts: ${probe.count} ${first.fileLayout} rows (the first row's) and ${counts} (lines ${lines}${other.length > 5 ? ", ..." : ""}); a trainer format takes one layout`,
    first.file,
    first.line,
    "convert the training data to one layout before arranging (or give arrange a --template), or export each layout's rows separately; --skip-invalid would drop every row of the other layout",
  );
}

/** `file:line` of row k, for errors about one row. */
export function rowProblem(rows: ArrangedRows, k: number, message: string, fix: string) {
  const { file, line } = rows.dataset.refs;
  const path = rows.dataset.files[file[k]!]!.path;
  return inputError(`row ${k} (training position ${k}): ${message}`, path, line[k]!, fix);
}

/** `<dir>/<input name without extension><suffix>` when that file exists. */
export async function besideInput(input: string, suffix: string): Promise<string | undefined> {
  const path = join(dirname(input), `${basename(input, extname(input))}${suffix}`);
  try {
    await access(path);
    return path;
  } catch {
    return undefined;
  }
}
