import { copyFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { inputError, usageError } from "../core/errors.js";
import { ioError } from "../data/io.js";
import { checkOutputPaths } from "../data/outputs.js";
import { Staging } from "../data/staging.js";
import { VERSION } from "../version.js";
import { axolotl } from "./axolotl.js";
import {
  applyFields,
  checkFieldName,
  defaultEndMarkers,
  type FieldOptions,
  type FieldReport,
  fieldChanges,
} from "./fields.js";
import { hfDataset } from "./hf-dataset.js";
import { llamaFactory } from "./llama-factory.js";
import {
  type OutputFile,
  type TargetContext,
  type TargetOutput,
  type TrainerRows,
  textFile,
} from "./output.js";
import { readMetadata, stepPlan } from "./plan.js";
import { type ArrangedRows, besideInput, readArranged } from "./source.js";
import {
  EXPORT_TARGETS,
  type ExportOptions,
  type ExportResult,
  type ExportTarget,
  type StepPlan,
} from "./types.js";

export { readMetadataRounds, stepPlan } from "./plan.js";
export { trl } from "./trl.js";
export * from "./types.js";

import { checkTrlRow, trl } from "./trl.js";

const BUILDERS: Record<ExportTarget, (ctx: TargetContext) => TargetOutput> = {
  "llama-factory": llamaFactory,
  axolotl,
  trl,
  "hf-dataset": hfDataset,
};

const SHARD = /^train-\d{5}-of-\d{5}\.parquet$/;

function checkInt(value: number, option: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw usageError(
      `${option} must be an integer >= ${min}, got ${value}`,
      option,
      `pass e.g. ${option} ${Math.max(min, 16)}`,
    );
  }
}

/**
 * Write an arranged training set in the layout a trainer reads, with the settings that keep its order and
 * the step plan (rounds.json) that lines rounds and checkpoints up with training steps. All files of the
 * export appear together or not at all.
 */
export async function exportArranged(options: ExportOptions): Promise<ExportResult> {
  if (!EXPORT_TARGETS.includes(options.to)) {
    throw usageError(
      `unknown export target "${String(options.to)}"`,
      "--to",
      `use one of ${EXPORT_TARGETS.join(", ")}`,
    );
  }
  if (!options.outDir) throw usageError("no output directory given", "--out-dir", "pass --out-dir DIR");
  const batchSize = options.batchSize ?? 16;
  const saveSteps = options.saveSteps ?? 10;
  const rowsPerShard = options.rowsPerShard ?? 100_000;
  checkInt(batchSize, "--batch-size", 1);
  checkInt(saveSteps, "--save-steps", 1);
  checkInt(rowsPerShard, "--rows-per-shard", 1);
  const name = options.name ?? "arranged";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw usageError(
      `dataset name "${name}" is not a plain file name`,
      "--name",
      "use letters, digits, '.', '_' and '-'",
    );
  }

  const taskField = options.taskField ?? "task";
  if (taskField !== false) checkFieldName(taskField);
  const endMarkers = options.endMarkers ?? defaultEndMarkers(options.to);
  if (endMarkers !== "strip" && endMarkers !== "keep")
    throw usageError(`--end-markers must be strip or keep, got "${String(endMarkers)}"`, "--end-markers");

  const metadata =
    options.metadata === false
      ? undefined
      : (options.metadata ?? (await besideInput(options.input, ".meta.jsonl")));
  const manifest =
    options.manifest === false
      ? undefined
      : (options.manifest ?? (await besideInput(options.input, ".manifest.json")));
  await checkOutputPaths(
    [
      { flag: "--input", path: options.input },
      { flag: "--metadata", path: metadata },
      { flag: "--manifest", path: manifest },
    ],
    [{ flag: "--out-dir", path: options.outDir, kind: "dir" }],
  );
  // TRL's file is written row by row: its rows are streamed from the input instead of held in memory.
  const read = await readArranged(options.input, { stream: options.to === "trl" });
  const count = read.dataset.count;
  const meta = metadata === undefined ? null : await readMetadata(metadata, count);
  const rounds = meta?.rounds ?? null;
  const { rows, report: fields } =
    read.stream === undefined
      ? applyFields(read, { taskField, endMarkers }, meta?.tasks ?? null)
      : streamFields(read, { taskField, endMarkers }, meta?.tasks ?? null);
  const plan = stepPlan(count, batchSize, saveSteps, rounds, metadata ?? null);

  const ctx: TargetContext = { rows, name, outDir: options.outDir, plan, rowsPerShard };
  const built = BUILDERS[options.to](ctx);
  const files: OutputFile[] = [...built.files];
  files.push(
    textFile("rounds.json", `${JSON.stringify(roundsJson(options, plan, fields, built.trainer), null, 2)}\n`),
  );
  if (manifest !== undefined) {
    files.push({
      name: "arrangement.manifest.json",
      write: async (path) => {
        try {
          await copyFile(manifest, path);
        } catch (cause) {
          throw ioError(manifest, cause, "copy the run manifest");
        }
      },
    });
  }
  const summary = manifest === undefined ? undefined : await manifestSummary(manifest);
  files.push(textFile("README.md", readme(options, built, plan, count, summary, fields)));

  await write(options.outDir, files, options.to === "hf-dataset");
  return {
    target: options.to,
    outDir: options.outDir,
    rows: count,
    files: files.map((f) => f.name),
    plan,
    fields,
  };
}

/**
 * applyFields for streamed rows (TRL): a first pass over the rows makes the field report and checks every
 * row for TRL (as the in-memory path does before writing: a field problem first, else the first bad row);
 * the rows it returns apply the same changes again while they are written.
 */
function streamFields(
  read: ArrangedRows,
  options: FieldOptions,
  metadataTasks: (string | undefined)[] | null,
): { rows: ArrangedRows; report: FieldReport } {
  const stream = read.stream!;
  const fields = fieldChanges(read, options, metadataTasks);
  let problem: unknown;
  let k = 0;
  for (const r of stream()) {
    const record = fields.count(fields.apply(r, k));
    if (problem === undefined) {
      try {
        checkTrlRow(read, k, record);
      } catch (e) {
        problem = e;
      }
    }
    k++;
  }
  if (problem !== undefined) throw problem;
  const report = fields.finish(k);
  const again = fieldChanges(read, options, metadataTasks);
  return {
    rows: {
      ...read,
      stream: function* () {
        let i = 0;
        for (const r of stream()) yield again.apply(r, i++).record;
      },
    },
    report,
  };
}

async function write(outDir: string, files: OutputFile[], shards: boolean): Promise<void> {
  const staged = new Staging();
  try {
    for (const f of files) {
      const dest = join(outDir, f.name);
      try {
        await mkdir(dirname(dest), { recursive: true });
      } catch (cause) {
        throw ioError(dirname(dest), cause, "create the output directory");
      }
      await f.write(staged.path(dest));
    }
    if (shards) {
      // Shards of an earlier, longer export would be read by a data/train-* pattern: remove them.
      const keep = new Set(files.map((f) => f.name));
      const old = (await readdir(join(outDir, "data"))).filter(
        (n) => SHARD.test(n) && !keep.has(`data/${n}`),
      );
      await Promise.all(old.map((n) => rm(join(outDir, "data", n), { force: true })));
    }
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
}

/** The parts of a run manifest that say how the set was arranged. */
async function manifestSummary(path: string): Promise<Record<string, unknown>> {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== undefined)
      throw ioError(path, cause, "read the run manifest");
    throw inputError(
      `the run manifest is not JSON: ${(cause as Error).message}`,
      path,
      undefined,
      "pass the manifest arrange wrote (--manifest FILE), or --no-manifest",
    );
  }
  const counts = (m.counts ?? {}) as Record<string, unknown>;
  return {
    tool: m.tool,
    version: m.version,
    options: m.options,
    embedder: m.embedder,
    rows: counts.output,
    rounds: counts.rounds,
  };
}

function roundsJson(
  options: ExportOptions,
  plan: StepPlan,
  fields: FieldReport,
  trainer: TrainerRows | undefined,
): Record<string, unknown> {
  return {
    tool: "instruct-arrange",
    version: VERSION,
    target: options.to,
    input: options.input,
    step_formula:
      "step = floor(position / batch_size) (0-based); the trainer's global_step after that step is step + 1",
    ...plan,
    // The plan holds only when the trainer trains on every row: the settings that make it so, and what it
    // would still drop (checked at export; a row it would drop stops the export instead).
    trainer_rows: trainer ?? { dropped: 0, settings: [], note: "every row is written and read as it is" },
    ...fields,
  };
}

const MAX_TABLE_ROWS = 40;

function readme(
  options: ExportOptions,
  built: TargetOutput,
  plan: StepPlan,
  rows: number,
  manifest: Record<string, unknown> | undefined,
  fields: FieldReport,
): string {
  const lines: string[] = [];
  if (built.frontMatter !== undefined) lines.push(built.frontMatter, "");
  lines.push(
    "# Arranged training set",
    "",
    `${rows} rows from \`${options.input}\`, exported for ${options.to} by instruct-arrange ${VERSION}.`,
    "Train on the rows in this order, without shuffling: the settings below keep it.",
    manifest === undefined
      ? "No run manifest was given or found beside the input."
      : "The arrangement's run manifest is `arrangement.manifest.json`; how the set was arranged:",
    "",
    ...(manifest === undefined ? [] : ["```json", JSON.stringify(manifest, null, 2), "```", ""]),
    built.readme,
    "",
    "## Fields",
    "",
    fields.task_field === null
      ? "No task field was added (no metadata file and not a directory of task files, or --no-task-field)."
      : `Every row's task is in the field \`${fields.task_field}\` (from ${fields.task_source === "metadata" ? "the metadata file" : fields.task_source === "file-name" ? "the input's file names" : "the rows themselves"}${fields.task_field_kept > 0 ? `; ${fields.task_field_kept} rows already had it and kept their value` : ""}).`,
    fields.end_markers === "strip"
      ? `${fields.end_markers_removed} end-of-text markers (\`<|endoftext|>\`, \`</s>\`, ...) were removed from the end of answers in ${fields.rows_with_end_markers} rows: the trainer appends its own EOS token.`
      : "End-of-text markers in answers were kept as they are.",
    "",
    "## Steps, checkpoints and rounds",
    "",
    `With ${plan.batch_size} examples per optimizer step (per-device batch x GPUs x gradient accumulation), one epoch is`,
    `${plan.steps_per_epoch} steps; a checkpoint every ${plan.save_steps} steps covers ${plan.examples_per_checkpoint} more examples`,
    `(${plan.checkpoint_steps.length} checkpoints). Row \`position\` is trained in step \`floor(position / ${plan.batch_size})\` (0-based),`,
    "so the trainer's `global_step` after it is one more: line per-checkpoint measurements (similarity, test loss) up with the rounds below.",
    "",
  );
  if (plan.rounds === null) {
    lines.push(
      plan.metadata === null
        ? "No `--metadata` file was given or found beside the input, so rounds are not listed."
        : `\`${plan.metadata}\` has no TMA rounds (the strategy was not tma).`,
    );
  } else {
    lines.push(
      `TMA rounds (from \`${plan.metadata}\`; all ${plan.rounds.length} spans are in \`rounds.json\`):`,
      "",
      "| round | rows | positions | steps (0-based) | done at global step | first checkpoint after |",
      "|---:|---:|---|---|---:|---:|",
    );
    for (const r of plan.rounds.slice(0, MAX_TABLE_ROWS)) {
      lines.push(
        `| ${r.round} | ${r.rows} | ${r.first_position}–${r.last_position} | ${r.first_step}–${r.last_step} | ${r.done_at_global_step} | ${r.first_checkpoint_after ?? "none (save at the end)"} |`,
      );
    }
    if (plan.rounds.length > MAX_TABLE_ROWS) lines.push(`| … | | | | | |`);
  }
  lines.push("");
  return lines.join("\n");
}
