import { inputError } from "../core/errors.js";
import type { FileStats, RecordSink } from "./collect.js";
import { bomLength, streamFile } from "./io.js";
import { describe } from "./layout.js";
import { RowProblem } from "./row-problem.js";

// Scanner states.
const START = 0; // before the opening `[`
const FIRST = 1; // after `[`: an element or `]`
const NEXT = 2; // after `,`: an element
const VALUE = 3; // inside an element
const AFTER = 4; // after an element: `,` or `]`
const DONE = 5; // after the closing `]`: only whitespace

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Stream a JSON file whose top level is an array of objects. A small scanner finds each element's byte span
 * (tracking strings, escapes and nesting) so output can copy the element's original bytes; each element is
 * then parsed on its own. Memory holds one chunk and the current element.
 */
export async function readJsonArray(path: string, sink: RecordSink): Promise<FileStats> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let state: number = START;
  let fileOffset = 0;
  let textLine = 1; // physical line, for messages
  let element = 0; // 1-based number of the current element
  let elementStart = 0;
  let elementLine = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let pending: Buffer[] = [];

  const structureError = (message: string, fix: string) =>
    inputError(`${message} (text line ${textLine})`, path, element > 0 ? element : undefined, fix);
  const arrayFix =
    "the file must be one JSON array of objects: [{...}, {...}]; for one object per line use a .jsonl file";

  const finishElement = (bytes: Uint8Array, end: number): void => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      sink.invalid(
        element,
        new RowProblem("element is not valid UTF-8", "convert the file to UTF-8, or pass --skip-invalid"),
      );
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      sink.invalid(
        element,
        new RowProblem(
          `element ${element} (text line ${elementLine}) is not valid JSON: ${(e as Error).message}`,
          "fix the element, or pass --skip-invalid to skip it",
        ),
      );
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      sink.invalid(
        element,
        new RowProblem(
          `element ${element} is ${describe(value)}, not an object`,
          "make every element an object {...}",
        ),
      );
      return;
    }
    sink.record(value as Record<string, unknown>, element, elementStart, end);
  };

  /** Scan one chunk; returns nothing, keeps state across chunks. */
  const scan = (chunk: Buffer, from: number): void => {
    let valueFrom = state === VALUE ? from : -1; // where the current element's bytes start in this chunk
    const n = chunk.length;
    for (let i = from; i < n; i++) {
      const b = chunk[i]!;
      if (b === NEWLINE) textLine++;
      switch (state) {
        case VALUE: {
          if (inString) {
            if (escaped) escaped = false;
            else if (b === BACKSLASH) escaped = true;
            else if (b === QUOTE) {
              inString = false;
              if (depth === 0) {
                endElement(chunk, valueFrom, i + 1);
                state = AFTER;
              }
            }
          } else if (b === QUOTE) inString = true;
          else if (b === 0x7b || b === 0x5b) depth++;
          else if (b === 0x7d || b === 0x5d) {
            if (depth === 0) {
              // `]` ends a bare scalar element; `}` here is malformed.
              if (b === 0x7d) throw structureError(`unexpected "}" in element ${element}`, arrayFix);
              endElement(chunk, valueFrom, i);
              state = DONE;
            } else if (--depth === 0) {
              endElement(chunk, valueFrom, i + 1);
              state = AFTER;
            }
          } else if (depth === 0 && (b === 0x2c || isSpace(b))) {
            endElement(chunk, valueFrom, i);
            state = b === 0x2c ? NEXT : AFTER;
          }
          break;
        }
        case AFTER:
          if (b === 0x2c) state = NEXT;
          else if (b === 0x5d) state = DONE;
          else if (!isSpace(b)) {
            throw structureError(
              `expected "," or "]" after element ${element}`,
              `${arrayFix} (is a comma missing?)`,
            );
          }
          break;
        case FIRST:
        case NEXT:
          if (isSpace(b)) break;
          if (b === 0x5d) {
            if (state === NEXT)
              throw structureError(`trailing comma after element ${element}`, "remove the comma");
            state = DONE;
            break;
          }
          if (b === 0x2c)
            throw structureError(`unexpected "," after element ${element}`, "remove the extra comma");
          element++;
          elementStart = fileOffset + i;
          elementLine = textLine;
          valueFrom = i;
          state = VALUE;
          depth = 0;
          inString = false;
          escaped = false;
          // Re-examine this byte as the first of the value.
          if (b === QUOTE) inString = true;
          else if (b === 0x7b || b === 0x5b) depth = 1;
          break;
        case START:
          if (isSpace(b)) break;
          if (b === 0x5b) {
            state = FIRST;
            break;
          }
          throw inputError(
            `the top level of a .json file must be an array, found ${b === 0x7b ? "an object" : `"${String.fromCharCode(b)}"`} (text line ${textLine})`,
            path,
            undefined,
            b === 0x7b
              ? "if the file has one JSON object per line, rename it to .jsonl; otherwise wrap the records in [ ... ] separated by commas"
              : arrayFix,
          );
        case DONE:
          if (!isSpace(b))
            throw structureError(
              "unexpected data after the closing ]",
              "remove everything after the array's closing ]",
            );
          break;
      }
    }
    if (state === VALUE) pending.push(Buffer.from(chunk.subarray(valueFrom)));
  };

  const endElement = (chunk: Buffer, valueFrom: number, to: number): void => {
    const end = fileOffset + to;
    if (pending.length === 0) finishElement(chunk.subarray(valueFrom, to), end);
    else {
      pending.push(chunk.subarray(0, to));
      finishElement(Buffer.concat(pending), end);
      pending = [];
    }
  };

  const stats = await streamFile(
    path,
    (chunk, offset) => {
      fileOffset = offset;
      scan(chunk, offset === 0 ? bomLength(chunk) : 0);
    },
    () => element + 1,
  );
  // START at the end: nothing but whitespace, reported as an empty file by the caller.
  if (state !== DONE && state !== START) {
    throw structureError(
      `the file ends inside the array${element > 0 ? ` (in or after element ${element})` : ""}`,
      "the file looks truncated or has an unclosed string, object or array; check it ends with ]",
    );
  }
  return stats;
}
