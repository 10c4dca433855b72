import { access } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { inputError, usageError } from "../core/errors.js";
import { readDataset } from "../data/read.js";
import type { Dataset, LayoutName } from "../data/types.js";

export type RowLayout = Exclude<LayoutName, "template">;

/** The arranged rows in training order, with where each came from (for error messages). */
export interface ArrangedRows {
  dataset: Dataset;
  records: Record<string, unknown>[];
  layout: RowLayout;
}

export async function readArranged(input: string): Promise<ArrangedRows> {
  const dataset = await readDataset(input, { texts: false, keepRecords: true, label: "input" });
  const layouts = [...new Set(dataset.files.filter((f) => f.rows > 0).map((f) => f.layout))];
  const layout = layouts[0];
  if (layouts.length !== 1 || layout === undefined || layout === "none" || layout === "template") {
    const where = dataset.files.map((f) => `${f.path}: ${f.layout}`).join("; ");
    throw usageError(
      `the input mixes record layouts (${where}), so there is no one trainer layout to convert it to`,
      "--input",
      "export an arranged set whose rows share one layout (arrange writes its output in the input's layout)",
    );
  }
  return { dataset, records: dataset.records ?? [], layout };
}

/** `file:line` of row k, for errors about one row. */
export function rowProblem(rows: ArrangedRows, k: number, message: string, fix: string) {
  const { file, line } = rows.dataset.refs;
  const path = rows.dataset.files[file[k]!]!.path;
  return inputError(`row ${k} (training position ${k}): ${message}`, path, line[k]!, fix);
}

/** `<dir>/<input name without extension><suffix>` when that file exists. */
export async function besideInput(input: string, suffix: string): Promise<string | undefined> {
  const path = join(dirname(input), `${basename(input, extname(input))}${suffix}`);
  try {
    await access(path);
    return path;
  } catch {
    return undefined;
  }
}
