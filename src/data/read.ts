import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { inputError, isArrangeError, usageError } from "../core/errors.js";
import { DatasetCollector, type FileStats, type RecordSink } from "./collect.js";
import { readCsv } from "./csv.js";
import { ioError } from "./io.js";
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

const EXTENSION_LIST = ".jsonl, .ndjson, .json, .csv or .parquet";

const READERS: Record<FileFormat, (path: string, sink: RecordSink) => Promise<FileStats>> = {
  jsonl: readJsonl,
  json: readJsonArray,
  csv: readCsv,
  parquet: readParquet,
};

/** The data format a path's extension names (case-insensitive), or undefined. */
export function formatOfPath(path: string): FileFormat | undefined {
  return DATA_EXTENSIONS[extname(path).toLowerCase()];
}

/** A file's default task: its name without the extension. */
export function taskOfFileName(name: string): string {
  return basename(name, extname(name));
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
  if (isDirectory) {
    files = [];
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (cause) {
      throw ioError(path, cause, "list the directory");
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const format = formatOfPath(entry.name);
      const filePath = join(path, entry.name);
      if (format !== undefined && (await isFile(entry, filePath))) {
        files.push({ path: filePath, format, task: taskOfFileName(entry.name) });
      } else {
        ignoredFiles.push(entry.name);
      }
    }
    if (files.length === 0) {
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

  const collector = new DatasetCollector(path, isDirectory, options, template);
  for (const file of files) {
    collector.beginFile({ ...file, bytes: await sizeOf(file.path) });
    const stats = await READERS[file.format](file.path, collector);
    collector.endFile(stats);
  }
  return collector.finish(ignoredFiles);
}

/** A file's size, or undefined when it cannot be read (the reader then reports the error). */
async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
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
