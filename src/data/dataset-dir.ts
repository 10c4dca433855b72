import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { inputError } from "../core/errors.js";
import type { FileFormat } from "./types.js";

/**
 * Directories that hold ONE dataset rather than one file per task:
 *
 * - a sharded Parquet dataset, `train-00000-of-00003.parquet` ... (the names Hugging Face datasets and
 *   `export --to hf-dataset` write): every data file in the directory is a shard `<split>-NNNNN-of-MMMMM`
 *   of one split and one count, all present; read in shard order as one dataset;
 * - the output of `export --to hf-dataset`: a `README.md` dataset card whose front matter has `configs:`
 *   and a `data/` directory of such shards; read as the arranged set, in order.
 *
 * - a Hugging Face `save_to_disk` directory of one Dataset: `state.json` lists the Arrow files in order
 *   (`_data_files`, src/datasets/arrow_dataset.py:1877-1878 writes them, load_from_disk reads them in that
 *   order, :2065-2079) beside `dataset_info.json`; a DatasetDict (`dataset_dict.json`) is refused with
 *   the split directories to pass instead.
 *
 * The files are read in shard order and their rows get the task of one dataset (the directory's name, or
 * a record field as for a single file), not one task per shard.
 */
export interface DatasetDir {
  kind: "parquet-shards" | "hf-dataset-export" | "save-to-disk";
  /** The task every row gets unless a record field names one. */
  task: string;
  files: { path: string; format: FileFormat; task: string }[];
}

const SHARD = /^([A-Za-z0-9_.-]+?)-(\d{5})-of-(\d{5})\.parquet$/;

/** The shards of one split in `names`, in order, or undefined when the names are not exactly such a set. */
function shardSet(dir: string, names: string[]): string[] | undefined {
  const data = names.filter((n) => n.toLowerCase().endsWith(".parquet"));
  if (data.length === 0) return undefined;
  const parsed = data.map((n) => SHARD.exec(n));
  if (parsed.some((m) => m === null)) return undefined;
  const ms = parsed as RegExpExecArray[];
  const split = ms[0]![1];
  const of = ms[0]![3];
  if (ms.some((m) => m[1] !== split || m[3] !== of)) return undefined;
  const total = Number(of);
  const index = new Map(ms.map((m) => [Number(m[2]), m[0]]));
  const missing: string[] = [];
  for (let i = 0; i < total; i++)
    if (!index.has(i)) missing.push(`${split}-${String(i).padStart(5, "0")}-of-${of}.parquet`);
  if (missing.length > 0 || index.size !== total)
    throw inputError(
      `the directory holds ${index.size} of the ${total} shards of "${split}"; missing ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}`,
      dir,
      undefined,
      "copy every shard into the directory (a sharded dataset is read as one, in shard order)",
    );
  return Array.from({ length: total }, (_, i) => index.get(i)!);
}

/** A directory that is one dataset (see DatasetDir), or undefined for a directory of task files. */
export async function detectDatasetDir(path: string, entries: Dirent[]): Promise<DatasetDir | undefined> {
  const task = basename(path.replace(/\/+$/, "")) || "dataset";
  const fileNames = entries.filter((e) => e.isFile()).map((e) => e.name);
  const saved = await saveToDisk(path, fileNames, task);
  if (saved !== undefined) return saved;
  const shards = shardSet(path, fileNames);
  if (shards !== undefined)
    return {
      kind: "parquet-shards",
      task,
      files: shards.map((n) => ({ path: join(path, n), format: "parquet", task })),
    };
  const hasData = entries.some((e) => e.isDirectory() && e.name === "data");
  if (!hasData || !fileNames.includes("README.md")) return undefined;
  let card: string;
  try {
    card = await readFile(join(path, "README.md"), "utf8");
  } catch {
    return undefined;
  }
  if (!/^---\n(?:[\s\S]*?\n)?configs:\n[\s\S]*?\n---\n/.test(card)) return undefined;
  const dataDir = join(path, "data");
  const inner = await readdir(dataDir);
  const ordered = shardSet(dataDir, inner.sort());
  if (ordered === undefined) return undefined;
  return {
    kind: "hf-dataset-export",
    task,
    files: ordered.map((n) => ({ path: join(dataDir, n), format: "parquet", task })),
  };
}

/** A `save_to_disk` directory: the Arrow files state.json lists, in its order. */
async function saveToDisk(path: string, names: string[], task: string): Promise<DatasetDir | undefined> {
  if (names.includes("dataset_dict.json")) {
    let splits: unknown;
    try {
      splits = (JSON.parse(await readFile(join(path, "dataset_dict.json"), "utf8")) as { splits?: unknown })
        .splits;
    } catch {
      splits = undefined;
    }
    const list = Array.isArray(splits) ? splits.map(String) : [];
    throw inputError(
      "this is a DatasetDict saved with save_to_disk (several splits), not one dataset",
      path,
      undefined,
      list.length > 0
        ? `pass one split's directory: ${list.map((s) => join(path, s)).join(" or ")}`
        : "pass one split's directory (a subdirectory holding state.json)",
    );
  }
  if (!names.includes("state.json") || !names.includes("dataset_info.json")) return undefined;
  const statePath = join(path, "state.json");
  const fix = "save the dataset again with Dataset.save_to_disk, or pass its data files instead";
  let state: { _data_files?: unknown };
  try {
    state = JSON.parse(await readFile(statePath, "utf8")) as typeof state;
  } catch (cause) {
    throw inputError(`state.json is not JSON: ${(cause as Error).message}`, statePath, undefined, fix);
  }
  const files = state?._data_files;
  if (!Array.isArray(files) || files.length === 0)
    throw inputError('state.json has no "_data_files" list of Arrow files', statePath, undefined, fix);
  return {
    kind: "save-to-disk",
    task,
    files: files.map((f: { filename?: unknown }, i: number) => {
      const name = f?.filename;
      if (typeof name !== "string" || name.includes("/") || name.includes("\\") || !names.includes(name))
        throw inputError(
          `state.json's _data_files[${i}] ${JSON.stringify(name)} is not an Arrow file in the directory`,
          statePath,
          undefined,
          fix,
        );
      return { path: join(path, name), format: "arrow" as const, task };
    }),
  };
}
