import { closeSync, type Dirent, openSync, writeSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { ArrangeError, inputError, isArrangeError, usageError } from "../core/errors.js";
import { readArrow } from "./arrow.js";
import { DatasetCollector, type FileStats, type RecordSink } from "./collect.js";
import { readCsv } from "./csv.js";
import { detectDatasetDir } from "./dataset-dir.js";
import { compressionOfPath, ioError, streamFile } from "./io.js";
import { readJsonArray } from "./json-array.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { parseTemplate } from "./template.js";
import type { Dataset, FileFormat, ReadOptions } from "./types.js";

/** File extensions read as data, and their formats. */
export const DATA_EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "json",
  ".csv": "csv",
  ".parquet": "parquet",
};

const EXTENSION_LIST = ".jsonl, .ndjson, .json, .csv (each also compressed, .gz or .zst) or .parquet";

const READERS: Record<FileFormat, (path: string, sink: RecordSink) => Promise<FileStats>> = {
  jsonl: readJsonl,
  json: readJsonArray,
  csv: (path, sink) =>
    compressionOfPath(path) === undefined ? readCsv(path, sink) : readCompressedCsv(path, sink),
  parquet: readParquet,
  arrow: readArrow,
};

/** The path without a `.gz`/`.zst` suffix. */
function withoutCompression(path: string): string {
  return compressionOfPath(path) === undefined ? path : path.slice(0, path.length - extname(path).length);
}

/**
 * The data format a path's extension names (case-insensitive), or undefined. JSONL, JSON and CSV may be
 * compressed (`data.jsonl.gz`, `data.csv.zst`): they are decompressed while streaming.
 */
export function formatOfPath(path: string): FileFormat | undefined {
  const inner = withoutCompression(path);
  const format = DATA_EXTENSIONS[extname(inner).toLowerCase()];
  if (inner !== path && format === "parquet") return undefined;
  return format;
}

/** A file's default task: its name without the extension (and without `.gz`/`.zst`). */
export function taskOfFileName(name: string): string {
  const inner = withoutCompression(name);
  return basename(inner, extname(inner));
}

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
 * Read a dataset: a file, or a directory holding one file per task (read in sorted name order).
 * Every row gets its embedded text ("{instruction} {answer}"), its task and a reference to its original bytes.
 */
export async function readDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const template = options.template === undefined ? undefined : parseTemplate(options.template);
  if (options.taskField !== undefined && options.taskField.trim() === "") {
    throw usageError(
      "the task field name is empty",
      "--task-field",
      "pass the name of the record field holding the task",
    );
  }
  let isDirectory: boolean;
  try {
    const st = await stat(path);
    isDirectory = st.isDirectory();
    if (!isDirectory && !st.isFile()) {
      throw inputError(
        "not a regular file or directory",
        path,
        undefined,
        "give a data file or a directory of data files",
      );
    }
  } catch (cause) {
    if (isArrangeError(cause)) throw cause;
    throw ioError(path, cause, "read the dataset");
  }

  let files: { path: string; format: FileFormat; task: string }[];
  const ignoredFiles: string[] = [];
  /** A directory holding one dataset (sharded Parquet, an hf-dataset export): its rows are not tasks per file. */
  let oneDataset = false;
  if (isDirectory) {
    files = [];
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (cause) {
      throw ioError(path, cause, "list the directory");
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const whole = await detectDatasetDir(path, entries);
    if (whole !== undefined) {
      oneDataset = true;
      files = whole.files;
      entries = [];
    }
    for (const entry of entries) {
      const format = formatOfPath(entry.name);
      const filePath = join(path, entry.name);
      if (format !== undefined && (await isFile(entry, filePath))) {
        files.push({ path: filePath, format, task: taskOfFileName(entry.name) });
      } else {
        ignoredFiles.push(entry.name);
      }
    }
    if (files.length === 0 && !oneDataset) {
      const found = ignoredFiles.length === 0 ? "it is empty" : `it holds only ${listNames(ignoredFiles)}`;
      throw inputError(
        "no data files in the directory",
        path,
        undefined,
        `put one ${EXTENSION_LIST} file per task in it (${found})`,
      );
    }
  } else {
    const format = formatOfPath(path);
    if (format === undefined) {
      throw inputError(
        `unknown data file type "${extname(path) || "(no extension)"}"`,
        path,
        undefined,
        `give a ${EXTENSION_LIST} file; rename the file if its content is one of these formats`,
      );
    }
    files = [{ path, format, task: taskOfFileName(path) }];
  }

  const collector = new DatasetCollector(path, isDirectory && !oneDataset, options, template);
  for (const file of files) {
    collector.beginFile(file);
    const stats = await READERS[file.format](file.path, collector);
    collector.endFile(stats);
  }
  return collector.finish(ignoredFiles);
}

async function isFile(entry: Dirent, path: string): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
