import { usageError } from "../core/errors.js";
import { END_MARKERS } from "../data/layout.js";
import { type ArrangedRows, rowProblem } from "./source.js";
import type { ExportTarget, FieldReport } from "./types.js";

export type { FieldReport };

/**
 * What an export adds to or changes in the rows before a target writes them:
 *
 * - the task of every row as a field (`--task-field NAME`, default `task`; `--no-task-field` for none): the
 *   metadata's `task` (what arrange saw) when a metadata file is used, else the file-name task of a
 *   directory input; a single file without metadata has no task to give, so nothing is added. A row that
 *   already has the field keeps its own value.
 * - end-of-text markers (`<|endoftext|>`, `</s>`, ...: END_MARKERS) at the end of answers removed, for the
 *   trainers that append their own EOS: TRL adds `eos_token` to completions and text (sft_trainer.py
 *   `add_eos`), LLaMA-Factory's templates end every response with EOS, axolotl's prompt strategies add
 *   EOS after the answer. An answer is an alpaca `output`, a `completion`, an assistant turn or a `text`;
 *   markers (and whitespace before them) are removed only at the end. Counted; off with `--end-markers keep`.
 */
export interface FieldOptions {
  taskField: string | false;
  endMarkers: "strip" | "keep";
}

/** Default end-marker handling of each target: hf-dataset serves any trainer and keeps the text as it is. */
export function defaultEndMarkers(to: ExportTarget): "strip" | "keep" {
  return to === "hf-dataset" ? "keep" : "strip";
}

export function checkFieldName(name: string): void {
  if (name === "" || /[\s"]/.test(name))
    throw usageError(
      `--task-field "${name}" is not a plain field name`,
      "--task-field",
      "use a name without spaces or quotes, e.g. --task-field task, or --no-task-field",
    );
}

/** `text` without its trailing end-of-text markers, and how many were removed. */
export function stripEndMarkers(text: string): { text: string; removed: number } {
  let s = text;
  let removed = 0;
  for (;;) {
    const t = s.trimEnd();
    const marker = END_MARKERS.find((m) => t.endsWith(m));
    if (marker === undefined) break;
    s = t.slice(0, t.length - marker.length);
    removed++;
  }
  return { text: removed > 0 ? s.trimEnd() : text, removed };
}

const ASSISTANT = new Set(["assistant", "gpt"]);

/** The rows with the task field added and end markers removed; records are copied only when changed. */
export function applyFields(
  rows: ArrangedRows,
  options: FieldOptions,
  metadataTasks: (string | undefined)[] | null,
): { rows: ArrangedRows; report: FieldReport } {
  const fields = fieldChanges(rows, options, metadataTasks);
  const records = rows.records.map((r, k) => fields.count(fields.apply(r, k)));
  return { rows: { ...rows, records }, report: fields.finish(records.length) };
}

/**
 * The same changes one record at a time, for rows that are streamed (not held in memory): `apply` changes
 * a record, `count` adds its changes to the report (once per row), `finish` gives the report.
 */
export function fieldChanges(
  rows: ArrangedRows,
  options: FieldOptions,
  metadataTasks: (string | undefined)[] | null,
): {
  apply(r: Record<string, unknown>, k: number): FieldChange;
  count(change: FieldChange): Record<string, unknown>;
  finish(rowCount: number): FieldReport;
} {
  const { dataset } = rows;
  const taskField = options.taskField;
  const source =
    taskField === false
      ? null
      : metadataTasks !== null
        ? "metadata"
        : dataset.isDirectory && dataset.taskSource === "file-name"
          ? "file-name"
          : null;
  const report: FieldReport = {
    task_field: source === null ? null : (taskField as string),
    task_source: source,
    task_field_kept: 0,
    end_markers: options.endMarkers,
    end_markers_removed: 0,
    rows_with_end_markers: 0,
  };
  const strip = options.endMarkers === "strip";
  return {
    apply(r, k) {
      let out = r;
      let removed = 0;
      let kept = false;
      if (strip) {
        const stripped = stripRecord(rows, k, r);
        if (stripped.removed > 0) {
          out = stripped.record;
          removed = stripped.removed;
        }
      }
      if (source !== null) {
        const name = taskField as string;
        if (Object.hasOwn(out, name)) kept = true;
        else {
          const task =
            source === "metadata" ? metadataTasks![k] : dataset.tasks.names[dataset.tasks.taskOf[k]!];
          if (task === undefined)
            throw rowProblem(
              rows,
              k,
              "the metadata line of this row has no task",
              "pass the --metadata file arrange wrote with this set, or --no-task-field",
            );
          out = { ...out, [name]: task };
        }
      }
      return { record: out, removed, kept };
    },
    count(change) {
      if (change.removed > 0) {
        report.end_markers_removed += change.removed;
        report.rows_with_end_markers++;
      }
      if (change.kept) report.task_field_kept++;
      return change.record;
    },
    finish(rowCount) {
      if (report.task_field !== null && report.task_field_kept === rowCount) report.task_source = "row";
      return report;
    },
  };
}

/** One record after the export's field changes: the end markers it lost, whether it kept its own task. */
export interface FieldChange {
  record: Record<string, unknown>;
  removed: number;
  kept: boolean;
}

function stripRecord(
  rows: ArrangedRows,
  _k: number,
  r: Record<string, unknown>,
): { record: Record<string, unknown>; removed: number } {
  const field =
    rows.layout === "alpaca"
      ? "output"
      : rows.layout === "prompt-completion"
        ? "completion"
        : rows.layout === "text"
          ? "text"
          : null;
  if (field !== null) {
    const v = r[field];
    if (typeof v !== "string") return { record: r, removed: 0 };
    const { text, removed } = stripEndMarkers(v);
    return removed === 0 ? { record: r, removed } : { record: { ...r, [field]: text }, removed };
  }
  const listField = rows.layout === "sharegpt" ? "conversations" : "messages";
  const [roleKey, textKey] = rows.layout === "sharegpt" ? ["from", "value"] : ["role", "content"];
  const turns = r[listField];
  if (!Array.isArray(turns)) return { record: r, removed: 0 };
  let removed = 0;
  const next = turns.map((turn: unknown) => {
    const t = turn as Record<string, unknown> | null;
    if (t === null || typeof t !== "object" || !ASSISTANT.has(String(t[roleKey]))) return turn;
    const v = t[textKey];
    if (typeof v !== "string") return turn;
    const s = stripEndMarkers(v);
    if (s.removed === 0) return turn;
    removed += s.removed;
    return { ...t, [textKey]: s.text };
  });
  return removed === 0 ? { record: r, removed } : { record: { ...r, [listField]: next }, removed };
}
