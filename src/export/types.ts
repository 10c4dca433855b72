export const EXPORT_TARGETS = ["llama-factory", "axolotl", "trl", "hf-dataset"] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** Everything `export` needs; the CLI maps its flags one to one onto these fields. */
export interface ExportOptions {
  /** The arranged training set (any file or directory `readDataset` reads), in training order. */
  input: string;
  to: ExportTarget;
  /** Output directory (created when missing); the export's files replace files of the same name in it. */
  outDir: string;
  /**
   * The `--metadata` JSONL written with the arranged set: per TMA round, the first and last training step.
   * Default: `<input name>.meta.jsonl` beside the input when it exists. `false`: do not look for one.
   */
  metadata?: string | false;
  /** The run manifest to record. Default: `<input name>.manifest.json` beside the input when it exists. */
  manifest?: string | false;
  /** Examples per optimizer step: per-device batch × devices × gradient accumulation. Default 16. */
  batchSize?: number;
  /** Optimizer steps between checkpoints. Default 10 (the paper's spacing). */
  saveSteps?: number;
  /** Dataset name used in dataset_info.json, file names and configs. Default "arranged". */
  name?: string;
  /** hf-dataset: rows per Parquet shard. Default 100000. */
  rowsPerShard?: number;
  /**
   * Field that receives each row's task (from the metadata, or a directory input's file names). Default
   * "task"; false: none.
   */
  taskField?: string | false;
  /** End-of-text markers at the end of answers: "strip" (default except hf-dataset) or "keep". */
  endMarkers?: "strip" | "keep";
}

export interface ExportResult {
  target: ExportTarget;
  outDir: string;
  rows: number;
  /** Files written, relative to outDir, in the order they are listed in the README. */
  files: string[];
  /** The step plan written to rounds.json. */
  plan: StepPlan;
  /** The task field and end markers (also in rounds.json). */
  fields: FieldReport;
}

/** One TMA round's contiguous span of rows and the training steps it occupies. */
export interface RoundSpan {
  round: number;
  rows: number;
  first_position: number;
  last_position: number;
  /** 0-based optimizer step of the span's first row: floor(first_position / batch_size). */
  first_step: number;
  last_step: number;
  /** The trainer's `global_step` once the span's last row was trained on (last_step + 1). */
  done_at_global_step: number;
  /** The first checkpoint (global step, a multiple of save_steps) that has seen the whole span; null when none does. */
  first_checkpoint_after: number | null;
}

export interface StepPlan {
  rows: number;
  batch_size: number;
  save_steps: number;
  /** Optimizer steps for one epoch, keeping the last partial batch: ceil(rows / batch_size). */
  steps_per_epoch: number;
  /** Examples between checkpoints: batch_size × save_steps. */
  examples_per_checkpoint: number;
  /** Global steps at which checkpoints are saved in the first epoch. */
  checkpoint_steps: number[];
  /** Metadata file the rounds came from, as given; null without one. */
  metadata: string | null;
  /** Contiguous spans of TMA rounds in training order; null when the metadata has no rounds or none was found. */
  rounds: RoundSpan[] | null;
}

/** What `export` did to the fields of the rows (in the export manifest). */
export interface FieldReport {
  /** The field holding each row's task, or null when none was added. */
  task_field: string | null;
  /** Where the tasks came from. */
  task_source: "metadata" | "file-name" | "row" | null;
  /** Rows that already had the field and kept their value. */
  task_field_kept: number;
  end_markers: "strip" | "keep";
  /** End-of-text markers removed from answers. */
  end_markers_removed: number;
  /** Rows with at least one marker removed. */
  rows_with_end_markers: number;
}
