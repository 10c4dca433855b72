import { usageError } from "../core/errors.js";
import { RowProblem } from "./row-problem.js";

/** A parsed `--template`: literal text and field placeholders, in order. */
export interface Template {
  source: string;
  /** Literal strings and placeholders (a placeholder is its field name). */
  parts: (string | { field: string })[];
}

const fix =
  'write placeholders as {field} or {nested.field}, and literal braces as {{ and }}, e.g. "{instruction} {output}"';

/** Parse a template like `"{instruction} {input} {output}"`; `{{` and `}}` are literal braces. */
export function parseTemplate(source: string): Template {
  const parts: Template["parts"] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "{" && source[i + 1] === "{") {
      literal += "{";
      i += 2;
    } else if (ch === "}" && source[i + 1] === "}") {
      literal += "}";
      i += 2;
    } else if (ch === "{") {
      const close = source.indexOf("}", i + 1);
      const field = close === -1 ? "" : source.slice(i + 1, close).trim();
      if (close === -1)
        throw usageError(`template has an unclosed "{" at character ${i + 1}`, "--template", fix);
      if (field === "" || field.includes("{")) {
        throw usageError(
          `template has an empty or malformed placeholder at character ${i + 1}`,
          "--template",
          fix,
        );
      }
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push({ field });
      i = close + 1;
    } else if (ch === "}") {
      throw usageError(`template has an unmatched "}" at character ${i + 1}`, "--template", fix);
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal !== "") parts.push(literal);
  if (!parts.some((p) => typeof p !== "string")) {
    throw usageError("template has no {field} placeholder", "--template", fix);
  }
  return { source, parts };
}

/** A record field by name, or by dotted path (`meta.source`, `turns.0.text`) when no field has the full name. */
export function lookupField(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  if (!name.includes(".")) return undefined;
  let value: unknown = record;
  for (const key of name.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Text of a field value for a template: null is empty, scalars are printed, objects are JSON. */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null) return "";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? "";
}

export function renderTemplate(template: Template, record: Record<string, unknown>): string {
  let out = "";
  for (const part of template.parts) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const value = lookupField(record, part.field);
    if (value === undefined) {
      throw new RowProblem(
        `no field "${part.field}" for the template placeholder {${part.field}}`,
        `add the field to every row, change --template, or pass --skip-invalid to skip such rows`,
      );
    }
    out += valueText(value);
  }
  return out;
}
