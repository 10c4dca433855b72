import { Command, Option } from "commander";
import { EXPORT_TARGETS, type ExportTarget, exportArranged } from "../export/index.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { intOption } from "./options.js";

interface ExportFlags {
  input: string;
  to: ExportTarget;
  outDir: string;
  metadata?: string | false;
  manifest?: string | false;
  batchSize: number;
  saveSteps: number;
  name: string;
  rowsPerShard: number;
  taskField: string | false;
  endMarkers?: "strip" | "keep";
  quiet?: boolean;
}

export function exportCommand(): Command {
  return new Command("export")
    .description(
      "Write an arranged training set in the layout a trainer reads (LLaMA-Factory, axolotl, TRL, Hugging Face\n" +
        "datasets), with the settings that keep its order and the steps each TMA round occupies.",
    )
    .requiredOption("--input <path>", "the arranged training set (arrange's --out)")
    .addOption(
      new Option("--to <target>", "trainer to export for").choices(EXPORT_TARGETS).makeOptionMandatory(),
    )
    .requiredOption("--out-dir <dir>", "output directory (created when missing)")
    .option(
      "--metadata <file>",
      "arrange's --metadata JSONL (default: <input name>.meta.jsonl beside the input, if any)",
    )
    .option("--no-metadata", "do not read metadata (no rounds in rounds.json)")
    .option(
      "--manifest <file>",
      "run manifest to record (default: <input name>.manifest.json beside the input, if any)",
    )
    .option("--no-manifest", "do not record a run manifest")
    .option(
      "--batch-size <n>",
      "examples per optimizer step: per-device batch x GPUs x gradient accumulation",
      intOption("--batch-size", 1, 16),
      CLI_DEFAULTS.export.batchSize,
    )
    .option(
      "--save-steps <n>",
      "optimizer steps between checkpoints",
      intOption("--save-steps", 1, 16),
      CLI_DEFAULTS.export.saveSteps,
    )
    .option("--name <name>", "dataset name in file names and configs", CLI_DEFAULTS.export.name)
    .option(
      "--rows-per-shard <n>",
      "hf-dataset: rows per Parquet shard",
      intOption("--rows-per-shard", 1, 16),
      CLI_DEFAULTS.export.rowsPerShard,
    )
    .option(
      "--task-field <name>",
      "field that gets each row's task (from the metadata, or a directory input's file names)",
      CLI_DEFAULTS.export.taskField,
    )
    .option("--no-task-field", "add no task field")
    .addOption(
      new Option(
        "--end-markers <mode>",
        "end-of-text markers (<|endoftext|>, </s>, ...) at the end of answers: strip (default; the trainers append EOS) or keep (default for hf-dataset)",
      ).choices(["strip", "keep"]),
    )
    .option("--quiet", "no message on stderr")
    .action(async (flags: ExportFlags) => {
      const result = await exportArranged({
        input: flags.input,
        to: flags.to,
        outDir: flags.outDir,
        metadata: flags.metadata,
        manifest: flags.manifest,
        batchSize: flags.batchSize,
        saveSteps: flags.saveSteps,
        name: flags.name,
        rowsPerShard: flags.rowsPerShard,
        taskField: flags.taskField,
        endMarkers: flags.endMarkers,
      });
      if (flags.quiet !== true) process.stderr.write(`${exportSummary(result)}\n`);
    });
}

export function exportSummary(r: Awaited<ReturnType<typeof exportArranged>>): string {
  const rounds =
    r.plan.rounds === null ? "no rounds" : `${new Set(r.plan.rounds.map((s) => s.round)).size} rounds`;
  const markers =
    r.fields.end_markers === "strip" ? `, ${r.fields.end_markers_removed} end-of-text markers removed` : "";
  return `exported ${r.rows} rows for ${r.target} (${r.plan.steps_per_epoch} steps of ${r.plan.batch_size}, ${rounds}${markers}) -> ${r.outDir}: ${r.files.join(", ")}`;
}
