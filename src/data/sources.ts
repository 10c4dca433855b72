import type { Dirent } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import { basename, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import { inputError, isArrangeError, usageError } from "../core/errors.js";
import { type DatasetDir, detectDatasetDir } from "./dataset-dir.js";
import { compressionOfPath, ioError } from "./io.js";
import type { FileFormat } from "./types.js";

/** File extensions read as data, and their formats. */
export const DATA_EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "json",
  ".csv": "csv",
  ".parquet": "parquet",
};

export const EXTENSION_LIST = ".jsonl, .ndjson, .json, .csv (each also compressed, .gz or .zst) or .parquet";

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

/** One data file to read, with the task its rows get unless a task field names one. */
export interface SourceFile {
  path: string;
  format: FileFormat;
  task: string;
}

/** What one or more `--train`/`--test`/`--input` values stand for. */
export interface ResolvedSources {
  /** The values as given, in order. */
  specs: string[];
  /** Data files to read, in order: specs in the order given, each directory walked in sorted name order. */
  files: SourceFile[];
  /** True when the rows come from more than one file, or from a directory or glob (tasks from file names). */
  multiFile: boolean;
  /** Files in directories that were not read because their extension is not a data format. */
  ignored: string[];
  /** Hidden files and the project's own outputs (manifests, sidecars, metadata) found in directories and skipped. */
  skipped: string[];
}

/**
 * Resolve data sources: a file, a directory (walked recursively; a file's task is its path relative to the
 * directory without the extension, "sub/name"), or a quoted glob ("data/*.jsonl", name order). Several
 * values are read in the order given. Hidden files (the tool's own staged files among them) and files the
 * tool wrote itself (run manifests, .npy sidecars, row metadata) are skipped; other files with a data
 * extension must hold data.
 */
export async function resolveSources(
  input: string | readonly string[],
  flag = "--train",
): Promise<ResolvedSources> {
  const specs = typeof input === "string" ? [input] : [...input];
  if (specs.length === 0) throw usageError("no data path given", flag, `pass ${flag} FILE|DIR`);
  const files: SourceFile[] = [];
  const ignored: string[] = [];
  const skipped: string[] = [];
  let multiFile = specs.length > 1;
  for (const spec of specs) {
    if (spec.trim() === "") throw usageError(`${flag} is empty`, flag, `pass ${flag} FILE|DIR`);
    if (isDynamicPattern(spec, { caseSensitiveMatch: true }) && !(await pathExists(spec))) {
      multiFile = true;
      await addGlob(spec, flag, files, skipped);
      continue;
    }
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(spec);
    } catch (cause) {
      throw ioError(spec, cause, "read the dataset");
    }
    if (st.isDirectory()) {
      // A directory holding one dataset (sharded Parquet, an hf-dataset export, save_to_disk): one task.
      const whole = await wholeDataset(spec);
      if (whole !== undefined) {
        files.push(...whole.files);
        continue;
      }
      multiFile = true;
      const before = files.length;
      await walk(spec, "", files, ignored, skipped);
      if (files.length === before) {
        const found = ignored.length === 0 ? "it is empty" : `it holds only ${listNames(ignored)}`;
        throw inputError(
          "no data files in the directory",
          spec,
          undefined,
          `put one ${EXTENSION_LIST} file per task in it (${found})`,
        );
      }
    } else if (st.isFile()) {
      const format = formatOfPath(spec);
      if (format === undefined) {
        throw inputError(
          `unknown data file type "${extname(spec) || "(no extension)"}"`,
          spec,
          undefined,
          `give a ${EXTENSION_LIST} file; rename the file if its content is one of these formats`,
        );
      }
      files.push({ path: spec, format, task: taskOfFileName(spec) });
    } else {
      throw inputError(
        "not a regular file or directory",
        spec,
        undefined,
        "give a data file or a directory of data files",
      );
    }
  }
  await rejectRepeats(files, flag);
  return { specs, files, multiFile, ignored, skipped };
}

async function wholeDataset(dir: string): Promise<DatasetDir | undefined> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw ioError(dir, cause, "list the directory");
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  return detectDatasetDir(dir, entries);
}

/** Whether a path exists (file, directory or anything else). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function addGlob(pattern: string, flag: string, files: SourceFile[], skipped: string[]): Promise<void> {
  let matches: string[];
  try {
    matches = await glob(pattern, { onlyFiles: true, dot: true, expandDirectories: false });
  } catch (cause) {
    throw usageError(`cannot expand the pattern ${pattern}: ${String(cause)}`, flag, "check the pattern");
  }
  // The static part before the first wildcard is the base tasks are named from.
  const base = staticBase(pattern);
  matches.sort(compareNames);
  let added = 0;
  for (const m of matches) {
    const rel = relative(base, m);
    if (rel.split(/[\\/]/).some((part) => part.startsWith("."))) {
      skipped.push(m);
      continue;
    }
    const format = formatOfPath(m);
    if (format === undefined) {
      throw usageError(
        `the pattern ${pattern} matches ${m}, which is not a ${EXTENSION_LIST} file`,
        flag,
        `narrow the pattern to data files, e.g. ${JSON.stringify(join(base, "*.jsonl"))}`,
      );
    }
    if (await isOwnOutput(m, format)) {
      skipped.push(m);
      continue;
    }
    files.push({ path: m, format, task: taskOf(rel) });
    added++;
  }
  if (added === 0)
    throw usageError(
      `the pattern ${pattern} matches no data file`,
      flag,
      "check the pattern; quote it so the shell does not expand it",
    );
}

/** The fixed part of a glob before its first wildcard ("data/sub" of "data/sub/*.jsonl"); "." when none. */
export function staticBase(pattern: string): string {
  const parts = pattern.split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (isDynamicPattern(p)) break;
    out.push(p);
  }
  const base = out.join("/");
  return base === "" ? "." : base;
}

/** Task name of a file at `rel` (relative to its directory or glob base): the path without the extension. */
function taskOf(rel: string): string {
  const inner = withoutCompression(rel);
  const ext = extname(inner);
  return inner
    .slice(0, inner.length - ext.length)
    .split(sep)
    .join("/");
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function walk(
  root: string,
  rel: string,
  files: SourceFile[],
  ignored: string[],
  skipped: string[],
): Promise<void> {
  const dir = rel === "" ? root : join(root, rel);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw ioError(dir, cause, "list the directory");
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const childRel = rel === "" ? entry.name : join(rel, entry.name);
    const path = join(root, childRel);
    if (entry.name.startsWith(".")) {
      skipped.push(path);
      continue;
    }
    const kind = await kindOf(entry, path);
    if (kind === "dir") {
      await walk(root, childRel, files, ignored, skipped);
      continue;
    }
    const format = formatOfPath(entry.name);
    if (kind !== "file" || format === undefined) {
      ignored.push(childRel);
      continue;
    }
    if (await isOwnOutput(path, format)) {
      skipped.push(path);
      continue;
    }
    await checkJsonIsData(path, format);
    files.push({ path, format, task: taskOf(childRel) });
  }
}

async function kindOf(entry: Dirent, path: string): Promise<"file" | "dir" | "other"> {
  if (entry.isFile()) return "file";
  if (entry.isDirectory()) return "dir";
  if (!entry.isSymbolicLink()) return "other";
  try {
    const st = await stat(path);
    return st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
  } catch {
    return "other";
  }
}

const OWN_SUFFIXES = [".manifest.json", ".npy.json", ".meta.jsonl", ".metadata.jsonl"];

/**
 * Files the tool writes beside its outputs: run manifests and sidecars (a JSON object with
 * "tool": "instruct-arrange") and row metadata (JSON lines with position, index and nearest_test).
 */
async function isOwnOutput(path: string, format: FileFormat): Promise<boolean> {
  const lower = path.toLowerCase();
  if (OWN_SUFFIXES.some((s) => lower.endsWith(s))) return true;
  if (format !== "json" && format !== "jsonl") return false;
  const head = await readHead(path, 4096);
  if (format === "json") return /^\s*\{[\s\S]*"tool"\s*:\s*"instruct-arrange"/.test(head);
  const first = head.split("\n", 1)[0] ?? "";
  return /"position"\s*:/.test(first) && /"nearest_test"\s*:/.test(first) && /"index"\s*:/.test(first);
}

/** A `.json` file in a data directory must be an array of records; anything else gets a clear error. */
async function checkJsonIsData(path: string, format: FileFormat): Promise<void> {
  if (format !== "json") return;
  const head = (await readHead(path, 256)).replace(/^\uFEFF/, "").trimStart();
  if (head === "" || head.startsWith("[")) return;
  throw inputError(
    "this .json file in the data directory is not a JSON array of records, so it is not data",
    path,
    undefined,
    "move it out of the directory, or name the data files explicitly (a quoted glob such as 'DIR/*.jsonl', or several --train values)",
  );
}

async function readHead(path: string, bytes: number): Promise<string> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, "r");
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } catch (cause) {
    throw ioError(path, cause, "read the file");
  } finally {
    await fh?.close();
  }
}

/** The same file reached twice (repeated values, overlapping globs, links) would be read twice. */
async function rejectRepeats(files: SourceFile[], flag: string): Promise<void> {
  const seen = new Map<string, string>();
  for (const f of files) {
    const real = await realPathOf(f.path);
    const earlier = seen.get(real);
    if (earlier !== undefined)
      throw usageError(
        `${f.path} is read twice (also as ${earlier})`,
        flag,
        `give each data file once; check repeated ${flag} values and overlapping patterns`,
      );
    seen.set(real, f.path);
  }
}

/** The canonical path of an existing file or directory (links resolved); the absolute path otherwise. */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (cause) {
    if (isArrangeError(cause)) throw cause;
    return resolve(path);
  }
}

/** Up to five names, then how many more. */
export function listNames(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** A task-level split of a data directory: files whose task starts with one of `holdout` are the test set. */
export interface HoldoutSplit {
  train: ResolvedSources;
  test: ResolvedSources;
}

/**
 * Split a directory of task files by task-name prefix (e.g. "ag_news" holds out every ag_news_* file):
 * the held-out files form the test set, the rest the training set, each in name order with the tasks the
 * whole directory gives them.
 */
export async function splitHoldout(dataDir: string, holdout: readonly string[]): Promise<HoldoutSplit> {
  if (holdout.length === 0 || holdout.some((h) => h.trim() === ""))
    throw usageError(
      "--holdout needs task name prefixes",
      "--holdout",
      "pass e.g. --holdout ag_news,cosmos_qa",
    );
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(dataDir);
  } catch {
    throw usageError(
      `--data ${dataDir} is not a readable directory`,
      "--data",
      "give a directory with one data file per task",
    );
  }
  if (!st.isDirectory())
    throw usageError(
      `--data ${dataDir} is not a directory`,
      "--data",
      "give a directory with one data file per task",
    );
  const all = await resolveSources(dataDir, "--data");
  const test = all.files.filter((f) => holdout.some((h) => f.task.startsWith(h)));
  const train = all.files.filter((f) => !test.includes(f));
  if (test.length === 0)
    throw usageError(
      `no task in ${dataDir} starts with ${holdout.join(" or ")}`,
      "--holdout",
      "give prefixes of the task files to hold out",
    );
  if (train.length === 0)
    throw usageError(
      "--holdout holds out every file: nothing is left to train on",
      "--holdout",
      "hold out fewer tasks",
    );
  const part = (files: SourceFile[]): ResolvedSources => ({
    specs: [dataDir],
    files,
    multiFile: true,
    ignored: all.ignored,
    skipped: all.skipped,
  });
  return { train: part(train), test: part(test) };
}

/** What a dataset is read from: a path, several paths in order (files, directories, quoted globs), or resolved sources. */
export type DataSource = string | readonly string[] | ResolvedSources;

export function isResolved(source: DataSource): source is ResolvedSources {
  return typeof source === "object" && !Array.isArray(source) && "files" in source;
}

/** The path shown for a source in messages and manifests: the value given, or the values joined with " + ". */
export function sourceLabel(source: DataSource): string {
  if (typeof source === "string") return source;
  const specs = isResolved(source) ? source.specs : source;
  return specs.join(" + ");
}

/** A training and a test set, given either as two sources or as one directory split by held-out task prefixes. */
export interface TrainTestSources {
  train?: DataSource;
  test?: DataSource;
  data?: string;
  holdout?: readonly string[];
}

/** Usage errors for a train/test pair given the wrong way; `input` names the training option (default --train). */
export function checkTrainTestSources(o: TrainTestSources, trainFlag = "--train", testFlag = "--test"): void {
  const has = (v: DataSource | undefined) =>
    v !== undefined && (typeof v !== "object" || isResolved(v) || v.length > 0);
  if (o.data !== undefined) {
    if (has(o.train) || has(o.test))
      throw usageError(
        `--data splits one directory into the training and the test set; it cannot be combined with ${trainFlag}/${testFlag}`,
        "--data",
        `give either --data DIR --holdout PREFIXES, or ${trainFlag} and ${testFlag}`,
      );
    if (o.holdout === undefined || o.holdout.length === 0)
      throw usageError(
        "--data needs --holdout",
        "--holdout",
        "pass e.g. --holdout ag_news,cosmos_qa (task-name prefixes of the test set)",
      );
    return;
  }
  if (o.holdout !== undefined)
    throw usageError("--holdout needs --data", "--data", "pass --data DIR with the directory to split");
  if (!has(o.train))
    throw usageError(
      "no training set given",
      trainFlag,
      `pass ${trainFlag} FILE|DIR, or --data DIR --holdout PREFIXES`,
    );
  if (!has(o.test))
    throw usageError(
      "no test set given",
      testFlag,
      `pass ${testFlag} FILE|DIR, or --data DIR --holdout PREFIXES`,
    );
}

/** Resolve a train/test pair to the files each set reads. */
export async function resolveTrainTest(
  o: TrainTestSources,
  trainFlag = "--train",
  testFlag = "--test",
): Promise<{ train: ResolvedSources; test: ResolvedSources }> {
  checkTrainTestSources(o, trainFlag, testFlag);
  if (o.data !== undefined) return splitHoldout(o.data, o.holdout!);
  const one = async (v: DataSource, flag: string) => (isResolved(v) ? v : resolveSources(v, flag));
  return { train: await one(o.train!, trainFlag), test: await one(o.test!, testFlag) };
}

/** The paths a resolved source was given as, with its option, for the output-path guard. */
export function guardedInputs(flag: string, r: ResolvedSources): { flag: string; path: string }[] {
  return r.specs.map((path) => ({ flag, path }));
}

/** One data set: `input` (paths, in order), or the `part` ("train", default, or "test") of `data` split by `holdout`. */
export interface SingleSource {
  input?: DataSource;
  data?: string;
  holdout?: readonly string[];
  part?: "train" | "test";
}

/** Resolve a single data set given as `--input` or as `--data DIR --holdout PREFIXES [--part test]`. */
export async function resolveSingle(o: SingleSource): Promise<ResolvedSources> {
  const hasInput =
    o.input !== undefined && (typeof o.input !== "object" || isResolved(o.input) || o.input.length > 0);
  if (o.data !== undefined) {
    if (hasInput)
      throw usageError(
        "give either --input or --data with --holdout, not both",
        "--data",
        "drop --input or --data",
      );
    if (o.holdout === undefined || o.holdout.length === 0)
      throw usageError("--data needs --holdout", "--holdout", "pass e.g. --holdout ag_news,cosmos_qa");
    const split = await splitHoldout(o.data, o.holdout);
    return o.part === "test" ? split.test : split.train;
  }
  if (o.holdout !== undefined || o.part !== undefined)
    throw usageError(
      "--holdout and --part need --data",
      "--data",
      "pass --data DIR with the directory to split",
    );
  if (!hasInput)
    throw usageError("no input given", "--input", "pass --input FILE|DIR, or --data DIR --holdout PREFIXES");
  return isResolved(o.input!) ? o.input! : resolveSources(o.input!, "--input");
}

/** Whether `child` lies strictly inside the directory `parent` (both absolute or both relative). */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
