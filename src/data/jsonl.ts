import type { FileStats, RecordSink } from "./collect.js";
import { bomLength, streamFile } from "./io.js";
import { describe } from "./layout.js";
import { RowProblem } from "./row-problem.js";

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Stream a JSON Lines file chunk by chunk: one JSON object per line, blank lines ignored, `\n` or `\r\n`
 * line ends. Memory holds one chunk and the current line, never the whole file.
 */
export async function readJsonl(path: string, sink: RecordSink): Promise<FileStats> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let fileOffset = 0; // offset of the current chunk in the file
  let lineStart = 0; // offset of the current line's first byte
  let lineNo = 0;
  let pending: Buffer[] = []; // pieces of a line that started in an earlier chunk

  const handleLine = (bytes: Uint8Array, start: number): void => {
    lineNo++;
    let len = bytes.length;
    if (len > 0 && bytes[len - 1] === CR) len--;
    const end = start + len;
    if (isBlank(bytes, len)) {
      sink.blank();
      return;
    }
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, len));
    } catch {
      sink.invalid(lineNo, notUtf8());
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      sink.invalid(
        lineNo,
        new RowProblem(
          `line is not valid JSON: ${(e as Error).message}`,
          "make every line one JSON object (no pretty-printing across lines), or pass --skip-invalid to skip bad lines",
        ),
      );
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      sink.invalid(
        lineNo,
        new RowProblem(
          `line is ${describe(value)}, not a JSON object`,
          "make every line a JSON object {...}, or pass --skip-invalid",
        ),
      );
      return;
    }
    sink.record(value as Record<string, unknown>, lineNo, start, end);
  };

  const stats = await streamFile(
    path,
    (chunk, offset) => {
      fileOffset = offset;
      let pos = 0;
      if (offset === 0) {
        pos = bomLength(chunk);
        lineStart = pos;
      }
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, pos);
        if (nl === -1) {
          if (pos < chunk.length) pending.push(Buffer.from(chunk.subarray(pos)));
          break;
        }
        const piece = chunk.subarray(pos, nl);
        if (pending.length === 0) handleLine(piece, lineStart);
        else {
          pending.push(piece);
          handleLine(Buffer.concat(pending), lineStart);
          pending = [];
        }
        pos = nl + 1;
        lineStart = fileOffset + pos;
      }
    },
    () => lineNo + 1,
  );
  if (pending.length > 0) handleLine(Buffer.concat(pending), lineStart);
  return stats;
}

function isBlank(bytes: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}

export function notUtf8(): RowProblem {
  return new RowProblem(
    "line is not valid UTF-8",
    "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8), or pass --skip-invalid to skip such lines",
  );
}
