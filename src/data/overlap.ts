import { createHash } from "node:crypto";
import { ArrangeError, usageError } from "../core/errors.js";
import type { Matrix } from "../core/types.js";
import { selectRows } from "../linalg/half.js";
import { isInside, realPathOf } from "./sources.js";
import { normalizeWhitespace } from "./text-hash.js";
import type { Dataset } from "./types.js";

/** What to do with training rows that copy a test row: stop (default), drop them, or keep them with a warning. */
export type OverlapMode = "error" | "drop" | "keep";
export const OVERLAP_MODES: readonly OverlapMode[] = ["error", "drop", "keep"];

/** Training rows whose embedded text equals a test row's (whitespace aside). */
export interface ExactOverlap {
  /** Training row indices (0-based kept rows), ascending. */
  trainRows: Int32Array;
  /** For each, the first test row it equals. */
  testRows: Int32Array;
  /** Test files that are also read as training files, with how that came about. */
  sharedFiles: { test: string; train: string; how: string }[];
}

/** One overlapping pair as `file:line = file:line`, the way messages and manifests show it. */
export interface OverlapPairRecord {
  train: string;
  test: string;
}

/**
 * Find training rows whose embedded text equals a test row's after whitespace normalization, by the
 * per-row text hashes (no embedding needed). A hash match is confirmed on the texts where both are in
 * memory; otherwise the 64-bit hash decides (a false match has odds of about n·m / 2^64).
 */
export async function findExactOverlap(train: Dataset, test: Dataset): Promise<ExactOverlap> {
  const byHash = new Map<number, number[]>();
  for (let j = 0; j < test.count; j++) {
    const h1 = test.textHashes[2 * j]!;
    const list = byHash.get(h1);
    if (list === undefined) byHash.set(h1, [j]);
    else list.push(j);
  }
  const trainRows: number[] = [];
  const testRows: number[] = [];
  const normTest = new Map<number, string>();
  for (let i = 0; i < train.count; i++) {
    const list = byHash.get(train.textHashes[2 * i]!);
    if (list === undefined) continue;
    const h2 = train.textHashes[2 * i + 1]!;
    for (const j of list) {
      if (test.textHashes[2 * j + 1] !== h2) continue;
      if (train.texts !== undefined && test.texts !== undefined) {
        let t = normTest.get(j);
        if (t === undefined) {
          t = normalizeWhitespace(test.texts[j]!);
          normTest.set(j, t);
        }
        if (normalizeWhitespace(train.texts[i]!) !== t) continue;
      }
      trainRows.push(i);
      testRows.push(j);
      break;
    }
  }
  return {
    trainRows: Int32Array.from(trainRows),
    testRows: Int32Array.from(testRows),
    sharedFiles: await sharedFiles(train, test),
  };
}

async function sharedFiles(train: Dataset, test: Dataset): Promise<ExactOverlap["sharedFiles"]> {
  const trainReal = new Map<string, string>();
  for (const f of train.files) trainReal.set(await realPathOf(f.path), f.path);
  const out: ExactOverlap["sharedFiles"] = [];
  const trainSpecs = await Promise.all((train.paths ?? [train.path]).map((p) => realPathOf(p)));
  const testSpecs = await Promise.all((test.paths ?? [test.path]).map((p) => realPathOf(p)));
  for (const f of test.files) {
    const real = await realPathOf(f.path);
    const t = trainReal.get(real);
    if (t === undefined) continue;
    let how: string;
    if (testSpecs.some((s) => trainSpecs.includes(s)))
      how = "the same path is given as both training and test set";
    else {
      const dir = (train.paths ?? [train.path]).find((p, k) => {
        return isInside(real, trainSpecs[k]!);
      });
      how = dir === undefined ? "it is also a training file" : `it is inside the training directory ${dir}`;
    }
    out.push({ test: f.path, train: t, how });
  }
  return out;
}

/** `file:line` of row `i` of a dataset. */
export function rowPlace(ds: Dataset, i: number): string {
  return `${ds.files[ds.refs.file[i]!]!.path}:${ds.refs.line[i]!}`;
}

/** The overlapping pairs as `file:line = file:line`, at most `limit` of them. */
export function overlapPairs(
  train: Dataset,
  test: Dataset,
  overlap: Pick<ExactOverlap, "trainRows" | "testRows">,
  limit = Number.POSITIVE_INFINITY,
): OverlapPairRecord[] {
  const n = Math.min(limit, overlap.trainRows.length);
  const out: OverlapPairRecord[] = [];
  for (let k = 0; k < n; k++)
    out.push({ train: rowPlace(train, overlap.trainRows[k]!), test: rowPlace(test, overlap.testRows[k]!) });
  return out;
}

/** The error that stops a run with exact overlap (the default `--overlap error`). */
export function exactOverlapError(train: Dataset, test: Dataset, overlap: ExactOverlap): ArrangeError {
  const n = overlap.trainRows.length;
  const shown = overlapPairs(train, test, overlap, 5)
    .map((p) => `    ${p.train} = ${p.test}`)
    .join("\n");
  const more = n > 5 ? `\n    ... and ${n - 5} more` : "";
  const files =
    overlap.sharedFiles.length === 0
      ? ""
      : `\n  ${overlap.sharedFiles.length} test file${overlap.sharedFiles.length === 1 ? " is" : "s are"} read as training data too: ` +
        overlap.sharedFiles
          .slice(0, 3)
          .map((f) => `${f.test} (${f.how})`)
          .join("; ") +
        (overlap.sharedFiles.length > 3 ? `; and ${overlap.sharedFiles.length - 3} more` : "");
  return new ArrangeError(
    "input",
    `${n} training row${n === 1 ? "" : "s"} of ${train.count} equal${n === 1 ? "s" : ""} a test row (same embedded text, whitespace aside); ` +
      `an order by similarity to the test set would put ${n === 1 ? "it" : "them"} first and train on the target:\n${shown}${more}${files}`,
    {
      option: "--overlap",
      fix:
        (overlap.sharedFiles.length > 0
          ? "keep the test files out of the training set (e.g. --data DIR --holdout TASK_PREFIXES), or "
          : "remove these rows from the training data, or ") +
        "pass --overlap drop to leave them out (listed in the manifest) or --overlap keep to keep them (a warning in the manifest)",
    },
  );
}

/** Check an --overlap value. */
export function checkOverlapMode(value: string | undefined): OverlapMode {
  if (value === undefined) return "error";
  if ((OVERLAP_MODES as readonly string[]).includes(value)) return value as OverlapMode;
  throw usageError(`unknown --overlap "${value}"`, "--overlap", `use one of: ${OVERLAP_MODES.join(", ")}`);
}

/**
 * A dataset without some of its rows (e.g. those that copy a test row). Row references keep their input
 * ordinals, so precomputed embeddings and the output still address the original rows.
 */
export function withoutRows(ds: Dataset, rows: Int32Array): Dataset {
  if (rows.length === 0) return ds;
  const drop = new Uint8Array(ds.count);
  for (const i of rows) drop[i] = 1;
  const keep = ds.count - rows.length;
  const pick = new Int32Array(keep);
  for (let i = 0, k = 0; i < ds.count; i++) if (drop[i] === 0) pick[k++] = i;
  const take32 = (a: ArrayLike<number>) => Int32Array.from(pick, (i) => a[i]!);
  const take64 = (a: Float64Array) => Float64Array.from(pick, (i) => a[i]!);
  const hashes = new Uint32Array(2 * keep);
  for (let k = 0; k < keep; k++) {
    hashes[2 * k] = ds.textHashes[2 * pick[k]!]!;
    hashes[2 * k + 1] = ds.textHashes[2 * pick[k]! + 1]!;
  }
  const out: Dataset = {
    ...ds,
    count: keep,
    texts: ds.texts === undefined ? undefined : Array.from(pick, (i) => ds.texts![i]!),
    textHashes: hashes,
    tasks: compactTasks(ds.tasks.names, take32(ds.tasks.taskOf)),
    refs: {
      file: take32(ds.refs.file),
      line: take32(ds.refs.line),
      start: take64(ds.refs.start),
      end: take64(ds.refs.end),
      ordinal: take32(ds.refs.ordinal),
    },
  };
  if (ds.records !== undefined) out.records = Array.from(pick, (i) => ds.records![i]!);
  return out;
}

/** Task ids renumbered so that tasks left without rows disappear (in order of first appearance, as read). */
function compactTasks(names: readonly string[], taskOf: Int32Array): { names: string[]; taskOf: Int32Array } {
  const map = new Int32Array(names.length).fill(-1);
  const kept: string[] = [];
  for (let i = 0; i < taskOf.length; i++) {
    const t = taskOf[i]!;
    if (map[t] === -1) {
      map[t] = kept.length;
      kept.push(names[t]!);
    }
    taskOf[i] = map[t]!;
  }
  return { names: kept, taskOf };
}

/** Training rows that are near copies of a test row by cosine similarity, grouped by the test row's task. */
export interface NearDuplicateReport {
  /** Rows at or above this cosine similarity to their nearest test row are counted. */
  threshold: number;
  /** Rows counted. */
  count: number;
  /** Output position of the first such row (nearest-first orders put them early). */
  firstPosition?: number;
  byTestTask: {
    task: string;
    count: number;
    examples: { train: string; test: string; similarity: number }[];
  }[];
}

/**
 * Count rows whose similarity to their nearest test row is at least `threshold`, per test task, with the
 * first examples. `rows[k]` is the training row at output position k, `nearestTest[k]` its nearest test row
 * and `nearestDistance[k]` the cosine distance (negative similarity) to it.
 */
export function nearDuplicates(
  train: Dataset,
  test: Dataset,
  rows: ArrayLike<number>,
  nearestTest: ArrayLike<number>,
  nearestDistance: ArrayLike<number>,
  threshold: number,
  examplesPerTask = 3,
): NearDuplicateReport {
  const byTask = new Map<number, NearDuplicateReport["byTestTask"][number]>();
  let count = 0;
  let firstPosition: number | undefined;
  for (let k = 0; k < rows.length; k++) {
    const sim = -nearestDistance[k]!;
    if (!(sim >= threshold)) continue;
    count++;
    firstPosition ??= k;
    const j = nearestTest[k]!;
    const t = test.tasks.taskOf[j]!;
    let entry = byTask.get(t);
    if (entry === undefined) {
      entry = { task: test.tasks.names[t]!, count: 0, examples: [] };
      byTask.set(t, entry);
    }
    entry.count++;
    if (entry.examples.length < examplesPerTask)
      entry.examples.push({
        train: rowPlace(train, rows[k]!),
        test: rowPlace(test, j),
        similarity: Math.round(sim * 1e4) / 1e4,
      });
  }
  const byTestTask = [...byTask.values()].sort((a, b) => b.count - a.count || (a.task < b.task ? -1 : 1));
  return { threshold, count, ...(firstPosition === undefined ? {} : { firstPosition }), byTestTask };
}

/** The 64-bit text hash of row i as 16 hex digits (metadata `text_hash`). */
export function textHashHex(ds: Dataset, i: number): string {
  return hex32(ds.textHashes[2 * i]!) + hex32(ds.textHashes[2 * i + 1]!);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** 8 lowercase hex digits of an unsigned 32-bit value (a table per byte: this runs once per metadata row). */
function hex32(v: number): string {
  return HEX_BYTE[v >>> 24]! + HEX_BYTE[(v >>> 16) & 255]! + HEX_BYTE[(v >>> 8) & 255]! + HEX_BYTE[v & 255]!;
}

/**
 * Order-independent identity of a dataset's rows: SHA-256 over the sorted 64-bit text hashes. Two
 * arrangements of the same rows hash alike; a different training or test set does not.
 */
export function setHash(ds: Dataset): string {
  const keys = new BigUint64Array(ds.count);
  for (let i = 0; i < ds.count; i++)
    keys[i] = (BigInt(ds.textHashes[2 * i]!) << 32n) | BigInt(ds.textHashes[2 * i + 1]!);
  keys.sort();
  return createHash("sha256").update(new Uint8Array(keys.buffer)).digest("hex");
}

/** A matrix without some of its rows (ascending row indices), as `withoutRows` does for the dataset. */
export function matrixWithoutRows(m: Matrix, rows: Int32Array): Matrix {
  const drop = new Uint8Array(m.rows);
  for (const i of rows) drop[i] = 1;
  const keep = new Int32Array(m.rows - rows.length);
  for (let i = 0, k = 0; i < m.rows; i++) if (drop[i] === 0) keep[k++] = i;
  return selectRows(m, keep); // float16 stays float16
}
