import { mkdir, readdir, rm, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { usageError } from "../core/errors.js";
import { formatOfPath } from "../data/read.js";

export interface TaskSplit {
  train: string;
  test: string;
  trainFiles: string[];
  testFiles: string[];
}

/**
 * A task-level split of a directory with one file per task: files whose name starts with one of
 * `holdout` (e.g. "ag_news", which holds out every ag_news_* template) form the test set, the others
 * the training set. Writes `<outDir>/train` and `<outDir>/test` as directories of symbolic links.
 */
export async function splitByTask(
  dataDir: string,
  holdout: readonly string[],
  outDir: string,
): Promise<TaskSplit> {
  if (holdout.length === 0 || holdout.some((h) => h.trim() === ""))
    throw usageError(
      "--holdout needs task name prefixes",
      "--holdout",
      "pass e.g. --holdout ag_news,cosmos_qa",
    );
  let names: string[];
  try {
    names = (await readdir(dataDir)).filter((n) => formatOfPath(n) !== undefined).sort();
  } catch {
    throw usageError(
      `--data ${dataDir} is not a readable directory`,
      "--data",
      "give a directory with one data file per task",
    );
  }
  const testFiles = names.filter((n) => holdout.some((h) => n.startsWith(h)));
  const trainFiles = names.filter((n) => !testFiles.includes(n));
  if (testFiles.length === 0)
    throw usageError(
      `no file in ${dataDir} starts with ${holdout.join(" or ")}`,
      "--holdout",
      "give prefixes of the task files to hold out",
    );
  if (trainFiles.length === 0)
    throw usageError(
      "--holdout holds out every file: nothing is left to train on",
      "--holdout",
      "hold out fewer tasks",
    );
  const split = { train: join(outDir, "train"), test: join(outDir, "test"), trainFiles, testFiles };
  for (const [dir, files] of [
    [split.train, trainFiles],
    [split.test, testFiles],
  ] as const) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const f of files) await symlink(resolve(dataDir, f), join(dir, f));
  }
  return split;
}
