import { inputError, usageError } from "../core/errors.js";
import { createRng } from "../core/rng.js";
import { END_MARKERS, joinParts, optionalText, requiredText } from "../data/layout.js";
import { readDataset } from "../data/read.js";
import { RowProblem } from "../data/row-problem.js";
import { type DataSource, sourceLabel } from "../data/sources.js";
import type { Dataset } from "../data/types.js";

/** One prepared example as the trainer reads it (a line of RUN_DIR/train.jsonl or eval.jsonl). */
export interface TrainExample {
  /** The user turn: the instruction, and the input on its own line when there is one. */
  instruction: string;
  answer: string;
  task: string;
}

export interface ReadExamplesOptions {
  taskField?: string;
  skipInvalid?: boolean;
  /** Option that named the path, for messages. */
  option: string;
}

function stripMarkers(text: string): string {
  let s = text.trimEnd();
  for (;;) {
    const marker = END_MARKERS.find((m) => s.endsWith(m));
    if (marker === undefined) return s.trim();
    s = s.slice(0, s.length - marker.length).trimEnd();
  }
}

function turnsOf(record: Record<string, unknown>, field: string, key: string): string[] {
  const list = record[field];
  if (!Array.isArray(list) || list.length < 2)
    throw new RowProblem(`"${field}" needs at least a user turn and an answer turn`, "fix the row");
  return list.map((turn, t) => {
    const v = turn !== null && typeof turn === "object" ? (turn as Record<string, unknown>)[key] : undefined;
    if (typeof v !== "string") throw new RowProblem(`${field}[${t}].${key} is not text`, "fix the row");
    return v;
  });
}

/**
 * The instruction and answer of one record by its layout: alpaca (instruction + input, output),
 * prompt-completion, and conversations (every turn but the last joined by newlines, then the last).
 */
export function splitRecord(
  record: Record<string, unknown>,
  layout: string,
): { instruction: string; answer: string } {
  switch (layout) {
    case "alpaca": {
      const instruction = [requiredText(record, "instruction"), optionalText(record, "input")]
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .join("\n");
      return { instruction, answer: stripMarkers(requiredText(record, "output")) };
    }
    case "prompt-completion":
      return {
        instruction: requiredText(record, "prompt").trim(),
        answer: stripMarkers(requiredText(record, "completion")),
      };
    case "sharegpt":
    case "messages": {
      const turns =
        layout === "sharegpt"
          ? turnsOf(record, "conversations", "value")
          : turnsOf(record, "messages", "content");
      return {
        instruction: turns
          .slice(0, -1)
          .map((t) => joinParts([t]))
          .join("\n"),
        answer: stripMarkers(turns[turns.length - 1] ?? ""),
      };
    }
    default:
      throw new RowProblem(
        `layout "${layout}" has no separate instruction and answer`,
        layout === "text"
          ? "give data in the alpaca (instruction, input, output), prompt-completion or conversation layout, or pretrain on plain text with `train --objective lm`"
          : "give data in the alpaca (instruction, input, output), prompt-completion or conversation layout",
      );
  }
}

/** Read a dataset and turn every kept row into a prepared example, in input order. */
export async function readExamples(
  path: DataSource,
  options: ReadExamplesOptions,
): Promise<{ dataset: Dataset; examples: TrainExample[] }> {
  const dataset = await readDataset(path, {
    texts: false,
    keepRecords: true,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    label: options.option.replace(/^--/, ""),
  });
  const records = dataset.records ?? [];
  const examples: TrainExample[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const file = dataset.files[dataset.refs.file[i]!]!;
    try {
      const { instruction, answer } = splitRecord(records[i]!, file.layout);
      examples[i] = { instruction, answer, task: dataset.tasks.names[dataset.tasks.taskOf[i]!]! };
    } catch (e) {
      if (e instanceof RowProblem) throw inputError(e.message, file.path, dataset.refs.line[i]!, e.fix);
      throw e;
    }
  }
  if (examples.length === 0)
    throw usageError(
      `${sourceLabel(path)} holds no examples`,
      options.option,
      "give a dataset with at least one row",
    );
  return { dataset, examples };
}

/**
 * The texts of a pretraining set (`--objective lm`): JSONL rows of the text layout, `{"text": ...}`, in
 * input order. A file of another layout is refused, naming it.
 */
export async function readTexts(path: string, options: ReadExamplesOptions): Promise<string[]> {
  const dataset = await readDataset(path, {
    texts: false,
    keepRecords: true,
    skipInvalid: options.skipInvalid,
    label: options.option.replace(/^--/, ""),
  });
  const other = dataset.files.find((f) => f.layout !== "text");
  if (other !== undefined)
    throw inputError(
      `--objective lm trains on {"text": ...} rows; this file has the ${other.layout} layout`,
      other.path,
      1,
      'give JSONL rows {"text": "..."} (e.g. from `instruct-arrange pretrain-text`), or train it with --objective instruct',
    );
  const texts = (dataset.records ?? []).map((r) => r.text as string);
  if (texts.length === 0)
    throw usageError(`${path} holds no texts`, options.option, 'give JSONL rows {"text": "..."}');
  return texts;
}

/**
 * `max` test examples drawn with the seed (the paper samples its test examples at random), kept in
 * their input order; all of them when there are no more than `max`.
 */
export function sampleExamples<T>(
  items: readonly T[],
  max: number | undefined,
  seed: number,
): { items: T[]; indices: number[] } {
  const all = items.map((_, i) => i);
  if (max === undefined || max >= items.length) return { items: [...items], indices: all };
  const rng = createRng(seed).fork("eval-sample");
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(all.length - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const indices = all.slice(0, max).sort((a, b) => a - b);
  return { items: indices.map((i) => items[i]!), indices };
}
