import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { type FileHandle, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { ArrangeError, usageError } from "../core/errors.js";
import { userPath } from "../core/temp-files.js";
import { readArrow } from "./arrow.js";
import { atomicWrite, BufferedOutput } from "./atomic.js";
import { compressionOfPath, ioError, streamFile } from "./io.js";
import { writeParquetRows } from "./parquet-write.js";
import { formatOfPath } from "./read.js";
import { recordJson } from "./record-json.js";
import type { Dataset, DatasetFile, FileFormat } from "./types.js";

export { atomicWrite, BufferedOutput, writeJsonLines } from "./atomic.js";

const EXTENSION: Record<FileFormat, string> = {
  jsonl: ".jsonl",
  json: ".json",
  csv: ".csv",
  arrow: ".jsonl",
  parquet: ".parquet",
};
/** Rows that follow each other in a file are read together while the window stays this small. */
const WINDOW_BYTES = 1 << 20;
/** ... and the gap between them is at most this. */
const GAP_BYTES = 64 << 10;
/** Open input files at once, at most (directories may hold thousands of task files). */
const MAX_OPEN = 128;

/**
 * Write rows `order[k]` (indices of kept rows), in that order, in the input's format: JSONL lines, JSON
 * elements and CSV records are copied byte for byte from the input; Parquet is rewritten with the same schema.
 * The output appears atomically.
 */
export async function writeArranged(
  ds: Dataset,
  order: ArrayLike<number>,
  outPath: string,
): Promise<{ format: FileFormat; rows: number }> {
  if (ds.inMemory === true) return writeRecordsJsonl(ds, order, outPath, ds.records!);
  const used = ds.files.filter((f) => f.rows > 0);
  if (used.length > 0 && used.every((f) => f.format === "arrow"))
    return writeRecordsJsonl(ds, order, outPath, await arrowRecords(ds));
  const format = outputFormat(ds, outPath);
  checkOrder(order, ds.count);
  if (format === "arrow") throw usageError("the input mixes Arrow files with other formats", "--out");
  if (format === "parquet") {
    await writeParquetRows(ds, order, outPath);
    try {
      await checkInputsUnchanged(ds);
    } catch (e) {
      await rm(outPath, { force: true });
      throw e;
    }
  } else {
    const enc = (s: string) => Buffer.from(s, "utf8");
    const header =
      format === "csv" ? `${ds.files.find((f) => f.rows > 0)?.csvHeader ?? ds.csvHeader ?? ""}\n` : "";
    const framing: Record<Exclude<FileFormat, "parquet" | "arrow">, Framing> = {
      jsonl: { head: enc(""), between: enc("\n"), tail: enc("\n"), empty: enc("") },
      json: { head: enc("[\n"), between: enc(",\n"), tail: enc("\n]\n"), empty: enc("[]\n") },
      csv: { head: enc(header), between: enc("\n"), tail: enc("\n"), empty: enc(header) },
    };
    if (compressionOfPath(outPath) !== undefined)
      throw usageError(
        `the output ${outPath} names a compressed file, but arranged rows are written uncompressed`,
        "--out",
        `name the output ${withoutSuffix(outPath)} and compress it afterwards if you need to`,
      );
    const plain = await decompressedCopies(ds);
    try {
      await atomicWrite(outPath, async (fh) => {
        await copyRows(ds, order, fh, framing[format], plain.paths);
        // Before the output appears: the inputs still hold what was read (a same-size replacement, e.g.
        // `sed -i`, passes the size check but not the content hash).
        await checkInputsUnchanged(ds);
      });
    } finally {
      await plain.remove();
    }
  }
  return { format, rows: order.length };
}

/** Every kept row's record of a dataset read from Arrow files, read again (row i of the dataset at i). */
async function arrowRecords(ds: Dataset): Promise<Record<string, unknown>[]> {
  const perFile: Record<string, unknown>[][] = [];
  for (const f of ds.files) {
    const rows: Record<string, unknown>[] = [];
    const stats = await readArrow(f.path, {
      record: (value) => rows.push(value),
      invalid: () => {},
      blank: () => {},
    });
    if (stats.sha256 !== f.sha256) throw changed(f);
    perFile.push(rows);
  }
  const { file, line } = ds.refs;
  return Array.from({ length: ds.count }, (_, r) => perFile[file[r]!]![line[r]! - 1]!);
}

/**
 * Rows read from records in memory or from Arrow files (save_to_disk): written as JSON Lines, one record
 * per line, in `order`.
 */
async function writeRecordsJsonl(
  ds: Dataset,
  order: ArrayLike<number>,
  outPath: string,
  records: Record<string, unknown>[],
): Promise<{ format: FileFormat; rows: number }> {
  checkOrder(order, ds.count);
  const named = formatOfPath(outPath);
  if (named !== "jsonl" || compressionOfPath(outPath) !== undefined)
    throw usageError(
      `${ds.inMemory === true ? "records given in memory" : "rows read from Arrow files"} are written as JSON Lines, but the output ${outPath} is not a .jsonl file`,
      "--out",
      `name the output ${withoutSuffix(outPath)}.jsonl`,
    );
  await atomicWrite(outPath, async (fh) => {
    const out = new BufferedOutput(fh);
    for (let k = 0; k < order.length; k++)
      await out.write(Buffer.from(`${recordJson(records[order[k]!])}\n`, "utf8"));
    await out.flush();
  });
  return { format: "jsonl", rows: order.length };
}

function withoutSuffix(path: string): string {
  return path.slice(0, path.length - extname(path).length);
}

/**
 * Rows are copied byte for byte by offset, and offsets of a compressed input are offsets into its
 * decompressed text: each compressed input file with rows is decompressed once into a private temporary
 * file (checked against the hash recorded when it was read), and rows are copied from there.
 */
async function decompressedCopies(
  ds: Dataset,
): Promise<{ paths: Map<number, string>; remove: () => Promise<void> }> {
  const paths = new Map<number, string>();
  const compressed = ds.files
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => f.rows > 0 && compressionOfPath(f.path) !== undefined);
  if (compressed.length === 0) return { paths, remove: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), "instruct-arrange-plain-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    for (const { f, i } of compressed) {
      const path = join(dir, `${i}.data`);
      const fd = openSync(path, "w");
      let sha: string;
      try {
        sha = (await streamFile(f.path, (chunk) => writeSync(fd, chunk))).sha256;
      } finally {
        closeSync(fd);
      }
      if (sha !== f.sha256) throw changed(f);
      paths.set(i, path);
    }
  } catch (e) {
    await remove();
    throw e;
  }
  return { paths, remove };
}

/** The one format of the dataset's files, checked against the output path's extension. */
function outputFormat(ds: Dataset, outPath: string): FileFormat {
  const used = ds.files.filter((f) => f.rows > 0);
  const formats = [...new Set(used.map((f) => f.format))];
  const first = used[0];
  if (first === undefined)
    throw new ArrangeError("internal", "dataset has no rows to write", { file: ds.path });
  if (formats.length > 1) {
    const example = (fmt: FileFormat) => used.find((f) => f.format === fmt)!.path;
    throw usageError(
      `the input mixes formats (${formats.map((f) => `${f}: ${example(f)}`).join("; ")}), so there is no one format to write`,
      "--out",
      "convert all input files to one format (e.g. all JSONL) and run again",
    );
  }
  const format = first.format;
  if (format === "csv") {
    const other = used.find((f) => f.csvHeader !== first.csvHeader);
    if (other !== undefined) {
      throw usageError(
        `the CSV files have different headers (${first.path}: "${first.csvHeader}"; ${other.path}: "${other.csvHeader}")`,
        "--out",
        "give all CSV files the same columns in the same order, or convert them to JSONL",
      );
    }
  }
  const named = formatOfPath(outPath);
  if (named !== undefined && named !== format) {
    // Named as the user gave it: `outPath` may be the hidden staged file that stands for it.
    const shown = userPath(outPath);
    throw usageError(
      `the output ${shown} names the ${named} format, but the input is ${format} and is written as it is`,
      "--out",
      `name the output with the input's extension, e.g. ${shown.slice(0, shown.length - extname(shown).length)}${EXTENSION[format]}, or convert the input to ${named} first`,
    );
  }
  return format;
}

function checkOrder(order: ArrayLike<number>, count: number): void {
  for (let k = 0; k < order.length; k++) {
    const r = order[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= count) {
      throw new ArrangeError(
        "usage",
        `output position ${k} names row ${r}, but the dataset has rows 0..${count - 1}`,
        {
          fix: "pass indices of kept rows (0 <= i < dataset.count)",
        },
      );
    }
  }
}

interface Framing {
  head: Uint8Array;
  between: Uint8Array;
  tail: Uint8Array;
  /** The whole output when there are no rows. */
  empty: Uint8Array;
}

/**
 * Copy the original bytes of the ordered rows. Reads are positioned reads on descriptors opened once per
 * file; rows that follow each other in a file are read with one call. Synchronous reads are used on
 * purpose: for a random order of a million rows they are several times faster than a promise per row.
 */
async function copyRows(
  ds: Dataset,
  order: ArrayLike<number>,
  fh: FileHandle,
  framing: Framing,
  plain: Map<number, string>,
): Promise<void> {
  const out = new BufferedOutput(fh);
  const inputs = new InputFiles(ds.files, plain);
  const { file, start, end } = ds.refs;
  let window = Buffer.allocUnsafe(WINDOW_BYTES);
  const n = order.length;
  try {
    if (n === 0) {
      await out.write(framing.empty);
      await out.flush();
      return;
    }
    await out.write(framing.head);
    let k = 0;
    while (k < n) {
      const first = order[k]!;
      const f = file[first]!;
      const from = start[first]!;
      let to = end[first]!;
      if (from < 0)
        throw new ArrangeError("internal", "row has no byte span to copy", { file: ds.files[f]?.path });
      let j = k + 1;
      while (j < n) {
        const r = order[j]!;
        if (file[r] !== f || start[r]! < to || start[r]! - to > GAP_BYTES || end[r]! - from > WINDOW_BYTES)
          break;
        to = end[r]!;
        j++;
      }
      const length = to - from;
      if (length > window.length) window = Buffer.allocUnsafe(length);
      inputs.read(f, window, length, from);
      for (let i = k; i < j; i++) {
        const r = order[i]!;
        if (i > 0) {
          const p = out.write(framing.between);
          if (p !== undefined) await p;
        }
        const p = out.write(window.subarray(start[r]! - from, end[r]! - from));
        if (p !== undefined) await p;
      }
      k = j;
    }
    await out.write(framing.tail);
    await out.flush();
  } finally {
    inputs.closeAll();
  }
}

/** Input files opened on first use (least recently used closed beyond MAX_OPEN), checked to be unchanged. */
class InputFiles {
  private readonly open = new Map<number, number>();
  private readonly checked = new Set<number>();

  constructor(
    private readonly files: DatasetFile[],
    /** Decompressed copies of compressed inputs (already checked against their hash). */
    private readonly plain: Map<number, string>,
  ) {}

  read(index: number, into: Buffer, length: number, position: number): void {
    const info = this.files[index]!;
    const fd = this.fd(index, info);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(fd, into, done, length - done, position + done);
      } catch (cause) {
        throw ioError(info.path, cause, "read the input again");
      }
      if (n === 0) throw changed(info);
      done += n;
    }
  }

  closeAll(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }

  private fd(index: number, info: DatasetFile): number {
    let fd = this.open.get(index);
    if (fd !== undefined) {
      // Move to the back: most recently used.
      this.open.delete(index);
      this.open.set(index, fd);
      return fd;
    }
    if (this.open.size >= MAX_OPEN) {
      const [oldest, oldFd] = this.open.entries().next().value as [number, number];
      this.open.delete(oldest);
      closeSync(oldFd);
    }
    const plain = this.plain.get(index);
    try {
      fd = openSync(plain ?? info.path, "r");
    } catch (cause) {
      throw ioError(info.path, cause, "open the input again to copy its rows");
    }
    this.open.set(index, fd);
    if (plain === undefined && !this.checked.has(index)) {
      if (fstatSync(fd).size !== info.bytes) throw changed(info);
      this.checked.add(index);
    }
    return fd;
  }
}

/**
 * Hash every input file that gave rows again and compare with the sha256 of what the run read (the manifest
 * records it): an input replaced or edited during the run fails it, naming the file.
 */
export async function checkInputsUnchanged(ds: Dataset): Promise<void> {
  for (const info of ds.files) {
    if (info.rows === 0) continue;
    let now: { bytes: number; sha256: string };
    try {
      now = await streamFile(info.path, () => {});
    } catch (cause) {
      if (cause instanceof ArrangeError) throw changed(info);
      throw cause;
    }
    if (now.bytes !== info.bytes || now.sha256 !== info.sha256) throw changed(info);
  }
}

/** The error for an input whose content is no longer what was read. */
export function inputChangedError(info: DatasetFile): ArrangeError {
  return changed(info);
}

function changed(info: DatasetFile): ArrangeError {
  return new ArrangeError(
    "io",
    "the input file changed after it was read (its content is not what the run read); nothing was written",
    {
      file: info.path,
      fix: "do not modify the input while arranging; run again",
    },
  );
}
