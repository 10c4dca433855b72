import type { OutputFile, TargetContext, TargetOutput } from "./output.js";
import { inferTable, jsonColumns, writeParquetShard } from "./parquet.js";
import { rowProblem } from "./source.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The field (dotted path) of the first string holding a lone UTF-16 surrogate, else undefined. */
export function loneSurrogateField(value: unknown, at = ""): string | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? at || "(value)" : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const f = loneSurrogateField(value[i], `${at}[${i}]`);
      if (f !== undefined) return f;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const f = loneSurrogateField(v, at === "" ? k : `${at}.${k}`);
      if (f !== undefined) return f;
    }
  }
  return undefined;
}

/** data/train-00000-of-00003.parquet, ...: zero-padded so that name order is training order. */
export function shardNames(rows: number, rowsPerShard: number): string[] {
  const n = Math.max(1, Math.ceil(rows / rowsPerShard));
  const pad = (i: number) => String(i).padStart(5, "0");
  return Array.from({ length: n }, (_, i) => `data/train-${pad(i)}-of-${pad(n)}.parquet`);
}

/**
 * Hugging Face datasets: Parquet shards holding every field (nested lists and records as Parquet lists and
 * structs), and a dataset card whose `configs` entry lists the shards in order.
 */
export function hfDataset(ctx: TargetContext): TargetOutput {
  const { records } = ctx.rows;
  // Parquet strings are UTF-8, which cannot hold a lone surrogate (JSON's "\ud800"): encoding would turn it
  // into U+FFFD, a silent change of the data. Refuse it, naming the row.
  for (let k = 0; k < records.length; k++) {
    const field = loneSurrogateField(records[k]);
    if (field !== undefined)
      throw rowProblem(
        ctx.rows,
        k,
        `field "${field}" holds a lone UTF-16 surrogate (e.g. "\\ud800"), which Parquet's UTF-8 strings cannot store`,
        "fix or remove that character in the input, or export with --to trl, llama-factory or axolotl, whose JSON keeps it exactly",
      );
  }
  const table = inferTable(records);
  const names = shardNames(records.length, ctx.rowsPerShard);
  const files: OutputFile[] = names.map((name, i) => ({
    name,
    write: async (path) => {
      const from = i * ctx.rowsPerShard;
      writeParquetShard(path, table, records, from, Math.min(records.length, from + ctx.rowsPerShard));
    },
  }));
  const asJson = jsonColumns(table);
  const list = names.map((n) => JSON.stringify(n)).join(", ");
  const frontMatter = [
    "---",
    "configs:",
    "  - config_name: default",
    "    data_files:",
    "      - split: train",
    "        path:",
    ...names.map((n) => `          - ${n}`),
    "---",
  ].join("\n");
  const readme = [
    "## Hugging Face datasets",
    "",
    `- \`data/\`: ${names.length} Parquet shard${names.length === 1 ? "" : "s"}, ${records.length} rows in training order, every field as a column`,
    `  (nested lists and objects as Parquet lists and structs${asJson.length > 0 ? `; ${asJson.map((c) => `\`${c}\``).join(", ")} mixed types and ${asJson.length === 1 ? "is" : "are"} stored as JSON text` : ""}).`,
    '- This card\'s `configs` entry lists the shards in order, so `load_dataset(THIS_DIRECTORY, split="train")` reads them',
    "  in order (without `split` it returns a `DatasetDict` holding that one `train` split).",
    "",
    "```python",
    "from datasets import load_dataset",
    "",
    "# Pass the shards as a list: load_dataset concatenates data files in the order given.",
    `train = load_dataset("parquet", data_files=[${list}], split="train")`,
    "```",
    "",
    "Run it from this directory (or prefix the paths). Loading keeps the order, but a trainer's sampler may not:",
    "`Trainer`/`SFTTrainer` sample randomly by default (see the TRL export's `train_trl.py` for the override).",
    "Absent fields and JSON nulls both read back as null.",
  ].join("\n");
  return { files, readme, frontMatter };
}
