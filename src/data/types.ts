import type { TaskIndex } from "../core/types.js";

export type FileFormat = "jsonl" | "json" | "csv" | "parquet" | "arrow";
export type LayoutName = "alpaca" | "prompt-completion" | "sharegpt" | "messages" | "text" | "template";
/** Where row tasks came from: the file names of a directory, a record field, or one task for a single file. */
export type TaskSource = "file-name" | `field:${string}` | "single";

export interface ReadOptions {
  /** `"{instruction} {input} {output}"`-style template over record fields; overrides layout detection. */
  template?: string;
  /** Record field holding the task name; overrides file-name tasks. */
  taskField?: string;
  /** Skip malformed rows (counted and reported) instead of failing. */
  skipInvalid?: boolean;
  /** Keep the embedded text of every row in memory (false when embeddings are precomputed). Default true. */
  texts?: boolean;
  /** Progress events (stage "read:<label>"). */
  onProgress?: import("../core/progress.js").ProgressSink;
  /** Label used in progress events and messages, e.g. "train" or "test". */
  label?: string;
  /** Keep every kept row's parsed record in `Dataset.records` (exports need them). Default false. */
  keepRecords?: boolean;
  /** The option that named the data, for messages (default "--train"). */
  flag?: string;
  /** Record invalid rows whose record has another layout than their file's first record (Dataset.otherLayouts). */
  reportLayouts?: boolean;
}

export interface DatasetFile {
  /** Path as found (directory path joined with the file name). */
  path: string;
  format: FileFormat;
  /** Layout detected from the file's first record; "none" for an empty file in a directory (no records, skipped). */
  layout: LayoutName | "none";
  /** Rows kept from this file. */
  rows: number;
  /** Rows skipped as invalid (only with skipInvalid). */
  skipped: number;
  bytes: number;
  sha256: string;
  /** Default task of rows from this file (file name without extension) — used unless --task-field. */
  task: string;
  /** Whitespace-only lines (JSONL, CSV) that were not data. */
  blankLines: number;
  /** CSV header line of this file (raw text without terminator). */
  csvHeader?: string;
}

export interface SkippedRow {
  file: string;
  line: number;
  reason: string;
}

/**
 * Where every kept row lives, so output can copy its original bytes. Parallel typed arrays indexed by row:
 * per-row state is kept in these (about 29 bytes a row), never as one JS object per row, so tens of
 * millions of rows fit in memory.
 */
export interface RowRefs {
  /** Index into Dataset.files (the narrowest integer array that holds the number of files). */
  file: Uint8Array | Uint16Array | Int32Array;
  /** 1-based line (jsonl; csv: the text line where the record starts, header = line 1), element number (json, 1-based), row (parquet, 1-based). */
  line: Int32Array;
  /** Byte offset of the row's raw text in its file (jsonl, json, csv); -1 for parquet. */
  start: Float64Array;
  /** Byte offset one past the row's raw text (excluding the line terminator). */
  end: Float64Array;
  /**
   * 0-based input-row number across all files (kept and skipped records, not blank lines): row i of
   * precomputed embeddings belongs to the kept row whose ordinal is i. Equals the row index when nothing was skipped.
   */
  ordinal: Int32Array;
}

export interface Dataset {
  /** The path the user gave (file or directory); several values joined with " + ". */
  path: string;
  /** The values given (files, directories, globs), in order. */
  paths?: string[];
  /** Hidden files and the tool's own outputs found in directories and not read. */
  skippedFiles?: string[];
  isDirectory: boolean;
  files: DatasetFile[];
  /** Files in a directory that were not read because their extension is not a data format. */
  ignoredFiles: string[];
  /** Number of kept rows. */
  count: number;
  /** Embedded text per row ("{instruction} {answer}"), when ReadOptions.texts is not false. */
  texts: string[] | undefined;
  /**
   * Per row, a 64-bit hash of its embedded text after whitespace normalization, as two 32-bit halves
   * (row i at 2i, 2i+1): finds training rows that copy a test row without keeping the texts.
   */
  textHashes: Uint32Array;
  tasks: TaskIndex;
  refs: RowRefs;
  skipped: SkippedRow[];
  /** Total rows skipped (skipped[] may be capped for memory). */
  skippedCount: number;
  /** End-of-text markers stripped from the embedded text (completions, answers, turns, text). */
  strippedMarkers: number;
  /** CSV header line (raw bytes as text, without terminator), for writing CSV output. */
  csvHeader?: string;
  /** Whitespace-only lines that were ignored (JSONL, CSV), over all files. */
  blankLines: number;
  /** Where the tasks came from. */
  taskSource: TaskSource;
  /** The parsed record of every kept row, in row order (only with ReadOptions.keepRecords). */
  records?: Record<string, unknown>[];
  /** With ReadOptions.reportLayouts: invalid rows whose own layout differs from their file's. */
  otherLayouts?: { file: string; line: number; layout: LayoutName; fileLayout: LayoutName }[];
  /** Read from records in memory (readRecords), not from files: output is written from `records`. */
  inMemory?: boolean;
}
