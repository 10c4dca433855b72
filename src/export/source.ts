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
  let dataset: Dataset;
  try {
    dataset = await readDataset(input, { texts: false, keepRecords: true, label: "input" });
  } catch (e) {
    throw (await mixedLayoutError(input)) ?? e;
  }
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

/**
 * When rows of one file have different layouts (alpaca rows and prompt/completion rows, say), name them:
 * no trainer format takes both, and skipping the "invalid" ones would drop a whole layout.
 */
async function mixedLayoutError(input: string) {
  let probe: Dataset;
  try {
    probe = await readDataset(input, {
      texts: false,
      skipInvalid: true,
      reportLayouts: true,
      label: "input",
    });
  } catch {
    return undefined;
  }
  const other = probe.otherLayouts ?? [];
  if (other.length === 0) return undefined;
  const first = other[0]!;
  const byLayout = new Map<string, number>();
  for (const o of other) byLayout.set(o.layout, (byLayout.get(o.layout) ?? 0) + 1);
  const counts = [...byLayout].map(([l, n]) => `${n} ${l} row${n === 1 ? "" : "s"}`).join(", ");
  const lines = other
    .slice(0, 5)
    .map((o) => o.line)
    .join(", ");
  return inputError(
    `the file mixes record layouts: ${probe.count} ${first.fileLayout} rows (the first row's) and ${counts} (lines ${lines}${other.length > 5 ? ", ..." : ""}); a trainer format takes one layout`,
    first.file,
    first.line,
    "convert the training data to one layout before arranging (or give arrange a --template), or export each layout's rows separately; --skip-invalid would drop every row of the other layout",
  );
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
