import { writeLines } from "../data/staging.js";
import type { ArrangedRows } from "./source.js";
import type { StepPlan } from "./types.js";

/** One file of an export: its path relative to the export directory and how to write it to a given path. */
export interface OutputFile {
  name: string;
  write(path: string): Promise<void>;
}

export function textFile(name: string, text: string): OutputFile {
  return { name, write: (path) => writeLines(path, [text]) };
}

export function linesFile(name: string, lines: () => Iterable<string>): OutputFile {
  return { name, write: (path) => writeLines(path, lines()) };
}

/** What a target builder gets. */
export interface TargetContext {
  rows: ArrangedRows;
  /** Dataset name (file names, dataset_info key). */
  name: string;
  /** The export directory as the user gave it: configs name their data files under it. */
  outDir: string;
  plan: StepPlan;
  rowsPerShard: number;
}

/** Which rows the trainer trains on: the settings that keep them all, and what it would still drop. */
export interface TrainerRows {
  /** Rows the trainer would drop with these settings (always 0: a row it would drop stops the export). */
  dropped: number;
  /** The settings written because the trainer's defaults drop rows. */
  settings: string[];
  note: string;
}

/** What a target builder produces: its files and the README section that explains them. */
export interface TargetOutput {
  /** For rounds.json: whether the trainer keeps every row. */
  trainer?: TrainerRows;
  files: OutputFile[];
  /** Markdown: how to train on the files with order kept. */
  readme: string;
  /** YAML front matter for README.md (the Hugging Face dataset card's metadata). */
  frontMatter?: string;
}

/** The batch settings comment shared by the config snippets. */
export function batchComment(plan: StepPlan, perDevice: string, accumulation: string): string {
  return (
    `# The step plan in rounds.json assumes ${plan.batch_size} examples per optimizer step:\n` +
    `# ${perDevice} x ${accumulation} x number of GPUs must equal ${plan.batch_size}\n` +
    `# (re-run instruct-arrange export with --batch-size N if you train with another total).`
  );
}

/** A path under the export directory as configs should name it (forward slashes). */
export function underOut(ctx: TargetContext, file: string): string {
  const dir = ctx.outDir.replace(/\\/g, "/").replace(/\/+$/, "");
  return dir === "" || dir === "." ? file : `${dir}/${file}`;
}
