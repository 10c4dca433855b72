import { usageError } from "../core/errors.js";
import { DatasetCollector, type FileStats, type RecordSink } from "./collect.js";
import { readCsv } from "./csv.js";
import { readJsonArray } from "./json-array.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { type DataSource, isResolved, resolveSources, sourceLabel } from "./sources.js";
import { parseTemplate } from "./template.js";
import type { Dataset, FileFormat, ReadOptions } from "./types.js";

export { DATA_EXTENSIONS, type DataSource, formatOfPath, taskOfFileName } from "./sources.js";

const READERS: Record<FileFormat, (path: string, sink: RecordSink) => Promise<FileStats>> = {
  jsonl: readJsonl,
  json: readJsonArray,
  csv: readCsv,
  parquet: readParquet,
};

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
    collector.beginFile(file);
    const stats = await READERS[file.format](file.path, collector);
    collector.endFile(stats);
  }
  const ds = collector.finish(resolved.ignored);
  ds.paths = resolved.specs;
  ds.skippedFiles = resolved.skipped;
  return ds;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
