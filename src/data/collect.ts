import { basename } from "node:path";
import { inputError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { type Growable, growFloat64, growInt32, growUint32 } from "./growable.js";
import { detectLayout, TextExtractor, unknownLayoutProblem } from "./layout.js";
import { RowProblem } from "./row-problem.js";
import { lookupField, type Template } from "./template.js";
import { textHash } from "./text-hash.js";
import type {
  Dataset,
  DatasetFile,
  FileFormat,
  ReadOptions,
  RowRefs,
  SkippedRow,
  TaskSource,
} from "./types.js";

/** What a format reader hands on: parsed records, records that could not be parsed, and blank lines. */
export interface RecordSink {
  /** A parsed record; start/end are byte offsets of its raw text in the file (-1 when there is none). */
  record(value: Record<string, unknown>, line: number, start: number, end: number): void;
  /** A record that could not be parsed (bad JSON, bad UTF-8, wrong number of CSV fields). */
  invalid(line: number, problem: RowProblem): void;
  /** A whitespace-only line. */
  blank(): void;
}

/** What a format reader learns about the file as a whole. */
export interface FileStats {
  bytes: number;
  sha256: string;
  csvHeader?: string;
}

export interface FileStart {
  path: string;
  format: FileFormat;
  /** Default task: the file name without extension. */
  task: string;
  /** Size of the file in bytes when known: lets the row store reserve room for the rows at once. */
  bytes?: number;
}

const SKIPPED_KEPT = 1000;
const EMPTY_ORDINALS = new Int32Array(0);

/**
 * With nothing skipped, row i is input row i: `refs.ordinal` is then built on first use only (4 bytes a
 * row that most runs never need at their peak).
 */
function identityOrdinals(refs: RowRefs, count: number): void {
  let built: Int32Array | undefined;
  Object.defineProperty(refs, "ordinal", {
    enumerable: true,
    configurable: true,
    get: () => {
      if (built === undefined) {
        built = new Int32Array(count);
        for (let i = 0; i < count; i++) built[i] = i;
      }
      return built;
    },
    set: (v: Int32Array) => {
      built = v;
    },
  });
}
/** Rows of a file read before its row count is estimated from its size and room is reserved for them. */
const RESERVE_AFTER = 4096;
const PROGRESS_EVERY = 10_000;

const EMPTY_FIX: Record<FileFormat, string> = {
  jsonl: "put one JSON object per line in the file, or remove it",
  json: "make the file a JSON array of objects, [{...}, {...}], or remove it",
  csv: "put a header row and at least one record in the file, or remove it",
  parquet: "write at least one row to the file, or remove it",
  arrow: "save a dataset with at least one row (Dataset.save_to_disk), or remove the file",
};

/**
 * Turns the records of one or more files into a Dataset: detects each file's layout from its first record,
 * extracts the embedded text, assigns tasks, keeps row references and counts (or rejects) invalid rows.
 */
export class DatasetCollector implements RecordSink {
  private readonly files: DatasetFile[] = [];
  private readonly texts: string[] | undefined;
  private readonly records: Record<string, unknown>[] | undefined;
  /** Row index of each file's first row: refs.file is built from these at the end (rows of a file are contiguous). */
  private readonly fileFirstRow: number[] = [];
  private readonly refLine = growInt32();
  private readonly refStart = growFloat64();
  private readonly refEnd = growFloat64();
  /** Input ordinals, stored only once a record was skipped (until then ordinal = row index). */
  private refOrdinal: Growable<Int32Array> | undefined;
  private readonly taskOf: Growable<Int32Array> = growInt32();
  private readonly hashes = growUint32();
  private readonly hashPair = new Uint32Array(2);
  private readonly taskIds = new Map<string, number>();
  private readonly taskNames: string[] = [];
  private readonly skipped: SkippedRow[] = [];
  private readonly otherLayouts: NonNullable<Dataset["otherLayouts"]> | undefined;
  private readonly progress: ProgressSink;
  private readonly stage: string;
  private taskSource: TaskSource | undefined;
  private taskField: string | undefined;
  private count = 0;
  private ordinal = 0;
  private skippedCount = 0;
  private blankLines = 0;
  private strippedMarkers = 0;

  // State of the file being read.
  private current: FileStart | undefined;
  private extractor: TextExtractor | undefined;
  private fileRecords = 0;
  private fileRows = 0;
  private fileSkipped = 0;
  private fileBlank = 0;
  private firstProblem: { line: number; problem: RowProblem } | undefined;

  constructor(
    private readonly path: string,
    private readonly isDirectory: boolean,
    private readonly options: ReadOptions,
    private readonly template: Template | undefined,
  ) {
    this.texts = options.texts === false ? undefined : [];
    this.records = options.keepRecords === true ? [] : undefined;
    this.otherLayouts = options.reportLayouts === true ? [] : undefined;
    this.progress = options.onProgress ?? noProgress;
    this.stage = `read:${options.label ?? basename(path)}`;
    if (options.taskField !== undefined) {
      this.taskField = options.taskField;
      this.taskSource = `field:${options.taskField}`;
    } else if (isDirectory) {
      this.taskSource = "file-name";
    }
  }

  beginFile(file: FileStart): void {
    this.current = file;
    this.extractor = undefined;
    this.fileRecords = 0;
    this.fileRows = 0;
    this.fileSkipped = 0;
    this.fileBlank = 0;
    this.firstProblem = undefined;
    this.fileFirstRow.push(this.count);
  }

  blank(): void {
    this.fileBlank++;
  }

  record(value: Record<string, unknown>, line: number, start: number, end: number): void {
    const ordinal = this.ordinal++;
    this.fileRecords++;
    let text: string;
    let task: number;
    try {
      if (this.extractor === undefined) {
        const layout = this.template !== undefined ? "template" : detectLayout(value);
        if (layout === undefined) throw unknownLayoutProblem(value);
        this.extractor = new TextExtractor(layout, this.template);
      }
      if (this.taskSource === undefined) this.detectTaskField(value);
      text = this.extractor.extract(value);
      task = this.taskId(value);
    } catch (e) {
      if (e instanceof RowProblem) {
        if (this.otherLayouts !== undefined && this.extractor !== undefined) {
          const other = detectLayout(value);
          if (other !== undefined && other !== this.extractor.layout)
            this.otherLayouts.push({
              file: this.current!.path,
              line,
              layout: other,
              fileLayout: this.extractor.layout,
            });
        }
        this.skip(line, e);
        return;
      }
      throw e;
    }
    this.strippedMarkers += this.extractor.markers;
    textHash(text, this.hashPair, 0);
    this.hashes.push(this.hashPair[0]!);
    this.hashes.push(this.hashPair[1]!);
    this.texts?.push(text);
    this.records?.push(value);
    this.taskOf.push(task);
    this.refLine.push(line);
    this.refStart.push(start);
    this.refEnd.push(end);
    this.refOrdinal?.push(ordinal);
    this.fileRows++;
    if (this.fileRows === RESERVE_AFTER) this.reserveForFile(end);
    if (++this.count % PROGRESS_EVERY === 0)
      this.progress({ stage: this.stage, done: this.count, unit: "rows" });
  }

  invalid(line: number, problem: RowProblem): void {
    this.ordinal++;
    this.fileRecords++;
    this.skip(line, problem);
  }

  endFile(stats: FileStats): void {
    const file = this.current!;
    if (this.fileRecords === 0) {
      const blanks = this.fileBlank > 0 ? ` (only ${this.fileBlank} blank lines)` : "";
      // One task per file: a directory may hold tasks without examples. A lone empty file is an error.
      if (!this.isDirectory)
        throw inputError(`empty file: no records${blanks}`, file.path, undefined, EMPTY_FIX[file.format]);
      this.progress({
        stage: this.stage,
        done: this.count,
        unit: "rows",
        message: `${file.path}: empty file${blanks}, no rows`,
      });
    } else if (this.fileRows === 0) {
      const first = this.firstProblem!;
      // Rows are skipped only under --skip-invalid, so the row's own fix must not suggest passing it.
      throw inputError(
        `no usable rows: all ${this.fileSkipped} records were invalid (--skip-invalid skipped them all); the first (line ${first.line}): ${first.problem.message}`,
        file.path,
        first.line,
        withoutSkipHint(first.problem.fix),
      );
    }
    this.blankLines += this.fileBlank;
    const entry: DatasetFile = {
      path: file.path,
      format: file.format,
      layout: this.extractor?.layout ?? "none",
      rows: this.fileRows,
      skipped: this.fileSkipped,
      bytes: stats.bytes,
      sha256: stats.sha256,
      task: file.task,
      blankLines: this.fileBlank,
    };
    if (stats.csvHeader !== undefined) entry.csvHeader = stats.csvHeader;
    this.files.push(entry);
    this.current = undefined;
  }

  finish(ignoredFiles: string[]): Dataset {
    if (this.count === 0) {
      throw inputError(
        `no rows in ${this.path}`,
        this.path,
        undefined,
        "give a file or directory with at least one record",
      );
    }
    this.progress({ stage: this.stage, done: this.count, total: this.count, unit: "rows" });
    const dataset: Dataset = {
      path: this.path,
      isDirectory: this.isDirectory,
      files: this.files,
      ignoredFiles,
      count: this.count,
      texts: this.texts,
      textHashes: this.hashes.toArray(),
      tasks: { taskOf: this.taskOf.toArray(), names: this.taskNames },
      refs: {
        file: this.fileIndex(),
        line: this.refLine.toArray(),
        start: this.refStart.toArray(),
        end: this.refEnd.toArray(),
        ordinal: EMPTY_ORDINALS,
      },
      skipped: this.skipped,
      skippedCount: this.skippedCount,
      strippedMarkers: this.strippedMarkers,
      blankLines: this.blankLines,
      taskSource: this.taskSource ?? "single",
    };
    if (this.refOrdinal !== undefined) dataset.refs.ordinal = this.refOrdinal.toArray();
    else identityOrdinals(dataset.refs, this.count);
    if (this.records !== undefined) dataset.records = this.records;
    if (this.otherLayouts !== undefined) dataset.otherLayouts = this.otherLayouts;
    const header = this.files.find((f) => f.csvHeader !== undefined)?.csvHeader;
    if (header !== undefined) dataset.csvHeader = header;
    return dataset;
  }

  /**
   * After the first rows of a large file, estimate its rows from its size and the bytes per row so far, and
   * reserve room in every per-row array: one allocation instead of a series of growing copies (which would
   * hold old and new buffers together, 2.5 times the final size at the worst moment).
   */
  private reserveForFile(end: number): void {
    const bytes = this.current?.bytes;
    if (bytes === undefined || end <= 0 || bytes <= end * 2) return;
    const estimate = this.count + 1 + Math.ceil(((bytes - end) / end) * this.fileRows * 1.02);
    for (const g of [this.refLine, this.refStart, this.refEnd, this.refOrdinal, this.taskOf])
      g?.reserve(estimate);
    // Two 32-bit halves of the text hash per row.
    this.hashes.reserve(2 * estimate);
  }

  /** From the first skipped record on, ordinals differ from row indices: store them (identity so far). */
  private storeOrdinals(): void {
    if (this.refOrdinal !== undefined) return;
    this.refOrdinal = growInt32();
    this.refOrdinal.reserve(Math.max(1024, this.count * 1.25));
    for (let i = 0; i < this.count; i++) this.refOrdinal.push(i);
  }

  /** The file of every row, in the narrowest integer type that holds the file count. */
  private fileIndex(): Uint8Array | Uint16Array | Int32Array {
    const n = this.count;
    const files = this.files.length;
    const out = files <= 0xff ? new Uint8Array(n) : files <= 0xffff ? new Uint16Array(n) : new Int32Array(n);
    for (let f = 0; f < files; f++) {
      const to = f + 1 < files ? this.fileFirstRow[f + 1]! : n;
      out.fill(f, this.fileFirstRow[f]!, to);
    }
    return out;
  }

  /** A single file names its tasks when its first record has a string `task` or `task_name` field. */
  private detectTaskField(record: Record<string, unknown>): void {
    const field = ["task", "task_name"].find((f) => typeof record[f] === "string" && record[f] !== "");
    this.taskField = field;
    this.taskSource = field === undefined ? "single" : `field:${field}`;
  }

  private taskId(record: Record<string, unknown>): number {
    let name: string;
    if (this.taskField === undefined) {
      name = this.current!.task;
    } else {
      const value = lookupField(record, this.taskField);
      if ((typeof value === "string" && value !== "") || typeof value === "bigint") name = String(value);
      else if (typeof value === "number" && Number.isFinite(value)) name = String(value);
      else {
        const what = value === undefined ? "no" : "an unusable (empty or not a string or number)";
        const how =
          this.options.taskField === undefined
            ? `the first record had one, so every row needs it; fix the row, or pass --skip-invalid to skip such rows`
            : `give every row a string or number "${this.taskField}", choose another --task-field, or pass --skip-invalid`;
        throw new RowProblem(`row has ${what} task field "${this.taskField}"`, how);
      }
    }
    let id = this.taskIds.get(name);
    if (id === undefined) {
      id = this.taskNames.length;
      this.taskIds.set(name, id);
      this.taskNames.push(name);
    }
    return id;
  }

  private skip(line: number, problem: RowProblem): void {
    const file = this.current!.path;
    if (this.options.skipInvalid !== true) throw inputError(problem.message, file, line, problem.fix);
    this.storeOrdinals();
    this.skippedCount++;
    this.fileSkipped++;
    this.firstProblem ??= { line, problem };
    if (this.skipped.length < SKIPPED_KEPT) this.skipped.push({ file, line, reason: problem.message });
  }
}

/** A row problem's fix without its "or pass --skip-invalid ..." part (for when --skip-invalid was given). */
export function withoutSkipHint(fix: string): string {
  const cut = fix
    .replace(/,?\s*(or )?pass --skip-invalid( to skip [^;.]*)?/g, "")
    .replace(/,?\s*or\s*$/, "")
    .trim();
  return `${cut.length > 0 ? cut : "fix the records"}; every record of this file was invalid, so the file itself is likely the wrong one or in another format`;
}
