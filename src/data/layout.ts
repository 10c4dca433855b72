import { RowProblem } from "./row-problem.js";
import { renderTemplate, type Template } from "./template.js";
import type { LayoutName } from "./types.js";

/** End-of-text markers that tokenizers append to answers; they are not part of what an example says. */
export const END_MARKERS: readonly string[] = [
  "<|endoftext|>",
  "</s>",
  "<|eot_id|>",
  "<|im_end|>",
  "<|end_of_text|>",
];

const SKIP_FIX = "fix the row, or pass --skip-invalid to skip such rows";

/** The layouts a record can have without a template, in the order they are tried. */
export const LAYOUT_FIELDS: Readonly<Record<Exclude<LayoutName, "template">, string>> = {
  messages: "messages: [{role, content}]",
  sharegpt: "conversations: [{from, value}]",
  alpaca: "instruction, input (optional), output",
  "prompt-completion": "prompt, completion",
  text: "text",
};

/** The layout of a record, or undefined when no known layout fits. */
export function detectLayout(record: Record<string, unknown>): Exclude<LayoutName, "template"> | undefined {
  if (Array.isArray(record.messages)) return "messages";
  if (Array.isArray(record.conversations)) return "sharegpt";
  if (Object.hasOwn(record, "instruction") && Object.hasOwn(record, "output")) return "alpaca";
  if (Object.hasOwn(record, "prompt") && Object.hasOwn(record, "completion")) return "prompt-completion";
  if (typeof record.text === "string") return "text";
  return undefined;
}

const METADATA_FIELDS = new Set([
  "id",
  "idx",
  "index",
  "task",
  "task_name",
  "category",
  "source",
  "lang",
  "language",
]);

/** The problem for a record of no known layout: names its fields and suggests a template. */
export function unknownLayoutProblem(record: Record<string, unknown>): RowProblem {
  const fields = Object.keys(record);
  const textFields = fields
    .filter((f) => typeof record[f] === "string" && !METADATA_FIELDS.has(f))
    .slice(0, 4);
  const example = textFields.length > 0 ? textFields.map((f) => `{${f}}`).join(" ") : "{question} {answer}";
  const known = Object.entries(LAYOUT_FIELDS)
    .map(([name, f]) => `${name} (${f})`)
    .join("; ");
  return new RowProblem(
    `record of no known layout; fields found: ${fields.length > 0 ? fields.join(", ") : "(none)"}`,
    `pass --template "${example}" to say which fields make the example text (add --task-field NAME if a field names the task), or convert the data to a known layout: ${known}`,
  );
}

/** Removes trailing end-of-text markers from text and counts them. */
export class TextExtractor {
  /** Markers removed from the last extracted row. */
  markers = 0;

  constructor(
    readonly layout: LayoutName,
    readonly template?: Template,
  ) {}

  /** The embedded text `"{instruction} {answer}"` of a record; throws RowProblem when the record does not fit. */
  extract(record: Record<string, unknown>): string {
    this.markers = 0;
    switch (this.layout) {
      case "alpaca":
        return joinParts([
          requiredText(record, "instruction"),
          optionalText(record, "input"),
          this.answer(requiredText(record, "output")),
        ]);
      case "prompt-completion":
        return joinParts([requiredText(record, "prompt"), this.answer(requiredText(record, "completion"))]);
      case "sharegpt":
        return this.turns(record, "conversations", "value");
      case "messages":
        return this.turns(record, "messages", "content");
      case "text":
        return this.answer(requiredText(record, "text")).trim();
      case "template":
        return this.answer(renderTemplate(this.template!, record)).trim();
    }
  }

  private answer(text: string): string {
    let s = text.trimEnd();
    for (;;) {
      const marker = END_MARKERS.find((m) => s.endsWith(m));
      if (marker === undefined) return s;
      s = s.slice(0, s.length - marker.length).trimEnd();
      this.markers++;
    }
  }

  private turns(record: Record<string, unknown>, field: string, textKey: string): string {
    const list = record[field];
    if (!Array.isArray(list)) {
      throw new RowProblem(
        `no "${field}" array (layout ${this.layout} was detected from the file's first record)`,
        SKIP_FIX,
      );
    }
    if (list.length === 0) {
      throw new RowProblem(
        `"${field}" is an empty array: the conversation has no turns`,
        `give the conversation at least one turn with text, remove the row, or pass --skip-invalid to skip (and count) such rows`,
      );
    }
    const parts: string[] = [];
    for (let t = 0; t < list.length; t++) {
      const turn: unknown = list[t];
      if (turn === null || typeof turn !== "object" || Array.isArray(turn)) {
        throw new RowProblem(`${field}[${t}] is not an object`, SKIP_FIX);
      }
      const value = (turn as Record<string, unknown>)[textKey];
      parts.push(this.answer(turnText(value, field, t, textKey)));
    }
    const text = joinParts(parts);
    if (text === "") {
      throw new RowProblem(
        `none of the ${list.length} turns of "${field}" holds any text`,
        `give the conversation at least one turn with text, remove the row, or pass --skip-invalid to skip (and count) such rows`,
      );
    }
    return text;
  }
}

/** Text of one turn: a string, or (messages) an array of parts of which `{type: "text", text}` count. */
function turnText(value: unknown, field: string, t: number, key: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (field === "messages") {
    if (value === null || value === undefined) return ""; // e.g. an assistant turn that only calls tools
    if (Array.isArray(value)) {
      const texts: string[] = [];
      for (const part of value) {
        if (typeof part === "string") texts.push(part);
        else if (part !== null && typeof part === "object" && typeof part.text === "string") {
          if (part.type === undefined || part.type === "text") texts.push(part.text);
        }
      }
      return joinParts(texts);
    }
  }
  if (value === undefined) throw new RowProblem(`${field}[${t}] has no "${key}"`, SKIP_FIX);
  throw new RowProblem(`${field}[${t}].${key} is ${describe(value)}, not text`, SKIP_FIX);
}

export function requiredText(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === undefined || !Object.hasOwn(record, field))
    throw new RowProblem(`row has no "${field}" field`, SKIP_FIX);
  throw new RowProblem(`field "${field}" is ${describe(value)}, not text`, SKIP_FIX);
}

export function optionalText(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (value === undefined || value === null) return "";
  return requiredText(record, field);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Trim every part, drop empty ones, join with one space. */
export function joinParts(parts: string[]): string {
  let out = "";
  for (const p of parts) {
    const t = p.trim();
    if (t === "") continue;
    out = out === "" ? t : `${out} ${t}`;
  }
  return out;
}
