import { closeSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArrangeError, isArrangeError, usageError } from "../core/errors.js";
import { readArrow } from "./arrow.js";
import { DatasetCollector, type FileStats, type RecordSink } from "./collect.js";
import { readCsv } from "./csv.js";
import { compressionOfPath, streamFile } from "./io.js";
import { readJsonArray } from "./json-array.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { type DataSource, isResolved, listNames, resolveSources, sourceLabel } from "./sources.js";
import { parseTemplate } from "./template.js";
import type { Dataset, FileFormat, ReadOptions } from "./types.js";

export { DATA_EXTENSIONS, type DataSource, formatOfPath, taskOfFileName } from "./sources.js";

const READERS: Record<FileFormat, (path: string, sink: RecordSink) => Promise<FileStats>> = {
  jsonl: readJsonl,
  json: readJsonArray,
  csv: (path, sink) =>
    compressionOfPath(path) === undefined ? readCsv(path, sink) : readCompressedCsv(path, sink),
  parquet: readParquet,
  arrow: readArrow,
};

/**
 * A compressed CSV: decompressed into a private temporary file (the CSV reader reads records back by
 * offset), read there, and reported under the user's path; the hash and size are the compressed file's.
 */
async function readCompressedCsv(path: string, sink: RecordSink): Promise<FileStats> {
  const dir = await mkdtemp(join(tmpdir(), "instruct-arrange-csv-"));
  const plain = join(dir, "data.csv");
  try {
    const fd = openSync(plain, "w");
    let lines = 1;
    let stats: FileStats;
    try {
      stats = await streamFile(
        path,
        (chunk) => {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
          writeSync(fd, chunk);
        },
        () => lines,
      );
    } finally {
      closeSync(fd);
    }
    try {
      const inner = await readCsv(plain, sink);
      return { ...inner, bytes: stats.bytes, sha256: stats.sha256 };
    } catch (e) {
      if (!isArrangeError(e)) throw e;
      throw new ArrangeError(e.code, e.message.split(plain).join(path), {
        file: e.file === plain ? path : e.file,
        line: e.line,
        option: e.option,
        fix: e.fix,
        cause: e,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Read a dataset: a file, a directory holding one file per task (walked in sorted name order), a quoted glob,
 * or several of these in the order given. Every row gets its embedded text ("{instruction} {answer}"), its
 * task and a reference to its original bytes.
 */
export async function readDataset(source: DataSource, options: ReadOptions = {}): Promise<Dataset> {
  const template = options.template === undefined ? undefined : parseTemplate(options.template);
  if (options.taskField !== undefined && options.taskField.trim() === "") {
    throw usageError(
      "the task field name is empty",
      "--task-field",
      "pass the name of the record field holding the task",
    );
  }
  const resolved = isResolved(source) ? source : await resolveSources(source, options.flag);
  const label = sourceLabel(source);
  if (resolved.skipped.length > 0) {
    options.onProgress?.({
      stage: `read:${options.label ?? label}`,
      done: 0,
      unit: "rows",
      message: `${label}: skipped ${resolved.skipped.length} hidden or instruct-arrange output file${resolved.skipped.length === 1 ? "" : "s"} (${listNames(resolved.skipped)})`,
    });
  }
  const collector = new DatasetCollector(label, resolved.multiFile, options, template);
  for (const file of resolved.files) {
    collector.beginFile({ ...file, bytes: await sizeOf(file.path) });
    const stats = await READERS[file.format](file.path, collector);
    collector.endFile(stats);
  }
  const ds = collector.finish(resolved.ignored);
  ds.paths = resolved.specs;
  ds.skippedFiles = resolved.skipped;
  return ds;
}

/** A file's size, or undefined when it cannot be read (the reader then reports the error). */
async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
