import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { atomicWrite, writeAll } from "../data/atomic.js";
import type { TrainOptions } from "../train/run.js";

/**
 * The resumable job runner of the experiments (`experiment` and `onlyif-threshold`): every job owns a
 * run directory; a job whose completion marker (RUN_DIR/experiment-run.json holding the job's resume
 * key) matches and whose outputs exist is reused instead of run; jobs run in a pool of at most
 * `parallel` at once.
 */

/** Training options passed to every run (data, eval, out, seed and label are set per run). */
export type RunTrainOptions = Omit<TrainOptions, "data" | "eval" | "out" | "seed" | "label" | "onEvent">;

/** A run directory's completion marker: the resume key (settings) its outputs were made with. */
export const RUN_KEY_FILE = "experiment-run.json";

export async function sha256File(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/**
 * SHA-256 of a file, or of a directory's files (relative names and contents, in name order): a data
 * set's identity in a resume key, so a moved or copied experiment directory still resumes.
 */
export async function sha256Path(path: string): Promise<string> {
  if (!(await stat(path)).isDirectory()) return sha256File(path);
  // Names only, then stat: split test sets are symbolic links, which a Dirent does not call files.
  const names = (await readdir(path, { recursive: true })).sort();
  const h = createHash("sha256");
  let files = 0;
  for (const name of names) {
    const file = join(path, name);
    if (!(await stat(file)).isFile()) continue;
    h.update(`${name}\u0000${await sha256File(file)}\n`);
    files++;
  }
  h.update(`files ${files}\n`);
  return h.digest("hex");
}

/** The bytes of a completion marker: the key as indented JSON (compared byte for byte). */
export function resumeKeyText(key: unknown): string {
  return `${JSON.stringify(key, null, 2)}\n`;
}

/** One job of the runner: its run directory, the outputs a finished run leaves there, and its key. */
export interface ResumableJob {
  runDir: string;
  /** Files (relative to runDir) that a finished job has written; all must exist to reuse it. */
  outputs: readonly string[];
  /** What the outputs depend on (data hashes, seed, label, options); JSON-serializable. */
  key: unknown;
}

/** Whether `job` is complete in its run directory: every output exists and the marker holds its key. */
export async function isComplete(job: ResumableJob): Promise<boolean> {
  const marker = join(job.runDir, RUN_KEY_FILE);
  if (!job.outputs.every((o) => existsSync(join(job.runDir, o))) || !existsSync(marker)) return false;
  return (await readFile(marker, "utf8")) === resumeKeyText(job.key);
}

/** Mark `job` complete (after its outputs are written): the marker is written atomically, last. */
export async function markComplete(job: ResumableJob): Promise<void> {
  const text = resumeKeyText(job.key);
  await atomicWrite(join(job.runDir, RUN_KEY_FILE), (fh) => writeAll(fh, Buffer.from(text)));
}

/**
 * Reuse `job` when `resume` and it is complete (`reuse` reads its outputs), else `run` it and then mark
 * it complete. A run that fails leaves no marker, so the next attempt runs it again.
 */
export async function runResumable<R>(
  job: ResumableJob,
  resume: boolean,
  steps: { reuse: () => Promise<R>; run: () => Promise<R> },
): Promise<{ value: R; reused: boolean }> {
  if (resume && (await isComplete(job))) return { value: await steps.reuse(), reused: true };
  const value = await steps.run();
  await markComplete(job);
  return { value, reused: false };
}

/**
 * Run `fn` on every item, at most `parallel` at once; results in item order. On a failure no further
 * item is started, the ones running are awaited, and the first error is thrown.
 */
export async function runPool<T, R>(
  items: readonly T[],
  parallel: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/** The timings a finished training run recorded in RUN_DIR/run.json (none when it cannot be read). */
export async function readRunTimings(
  runDir: string,
): Promise<{ seconds?: number; trainSeconds?: number; stepsPerSecond?: number | null }> {
  try {
    return JSON.parse(await readFile(join(runDir, "run.json"), "utf8"))?.timings ?? {};
  } catch {
    return {};
  }
}
