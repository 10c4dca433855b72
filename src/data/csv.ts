import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { TextDecoder } from "node:util";
import { CsvError, type Parser, parse } from "csv-parse";
import { inputError } from "../core/errors.js";
import type { FileStats, RecordSink } from "./collect.js";
import { bomLength, CHUNK_BYTES, ioError, openForRead } from "./io.js";
import { RowProblem } from "./row-problem.js";

interface ParsedRecord {
  record: string[];
  raw: string;
  info: { bytes: number };
}

/**
 * Stream a CSV file: a header row, then records (quoted fields may span lines). Every record keeps the byte
 * span of its raw text so output can copy it; values are strings keyed by the header's column names.
 */
export async function readCsv(path: string, sink: RecordSink): Promise<FileStats> {
  const fh = await openForRead(path);
  const hash = createHash("sha256");
  const parser = parse({
    raw: true,
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: false,
  });
  let bytes = 0;
  let bom = 0;
  const feeding = feed(fh, parser, path, (chunk) => {
    if (bytes === 0) bom = bomLength(chunk);
    bytes += chunk.length;
    hash.update(chunk);
  });
  feeding.catch((e: unknown) => parser.destroy(e as Error));

  const decoder = new TextDecoder("utf-8", { fatal: true });
  let header: string[] | undefined;
  let csvHeader: string | undefined;
  let prevEnd = -1;
  // Text line (1-based) where the next record starts: records may span lines, so messages and row
  // references name this, not the record's ordinal number.
  let nextLine = 1;
  try {
    for await (const item of parser as AsyncIterable<ParsedRecord>) {
      const start = prevEnd < 0 ? bom : prevEnd;
      prevEnd = item.info.bytes;
      const recordLine = nextLine;
      nextLine += lineBreaks(item.raw);
      const content = withoutTerminator(item.raw);
      const end = start + Buffer.byteLength(content);
      if (content.trim() === "") {
        sink.blank();
        continue;
      }
      // csv-parse replaces invalid UTF-8 with U+FFFD: check the original bytes of such records.
      const badUtf8 = content.includes("\uFFFD") && !(await validUtf8(fh, start, end, decoder));
      if (header === undefined) {
        if (badUtf8)
          throw inputError("the CSV header is not valid UTF-8", path, undefined, "convert the file to UTF-8");
        header = item.record;
        csvHeader = content;
        const seen = new Set<string>();
        for (const name of header) {
          if (seen.has(name)) {
            throw inputError(
              `the CSV header names column "${name}" twice`,
              path,
              undefined,
              "give every column its own name",
            );
          }
          seen.add(name);
        }
        continue;
      }
      if (badUtf8) {
        sink.invalid(
          recordLine,
          new RowProblem(
            "record is not valid UTF-8",
            "convert the file to UTF-8, or pass --skip-invalid to skip such records",
          ),
        );
        continue;
      }
      const fields = item.record;
      if (fields.length !== header.length) {
        sink.invalid(
          recordLine,
          new RowProblem(
            `record has ${fields.length} fields but the header has ${header.length}`,
            'quote fields that contain the delimiter or line breaks ("a, b"), or pass --skip-invalid to skip such records',
          ),
        );
        continue;
      }
      const record: Record<string, unknown> = Object.create(null);
      for (let c = 0; c < fields.length; c++) record[header[c]!] = fields[c];
      sink.record(record, recordLine, start, end);
    }
    await feeding;
  } catch (e) {
    if (e instanceof CsvError) {
      const from = prevEnd < 0 ? bom : prevEnd;
      if (e.code === "CSV_QUOTE_NOT_CLOSED") {
        // csv-parse names the end of the file; the user needs the line where the quote opens.
        const open = (await unclosedQuoteLine(fh, from, nextLine)) ?? nextLine;
        throw inputError(
          `CSV syntax error: a quote opened on line ${open} is never closed (the rest of the file became one field)`,
          path,
          open,
          `close the quote on line ${open}, or double a quote that is part of the text ("say ""hi""") and wrap that field in quotes`,
        );
      }
      const at = (e as CsvError & { lines?: number }).lines;
      throw inputError(
        `CSV syntax error: ${e.message}`,
        path,
        at ?? nextLine,
        `check the quoting on line ${at ?? nextLine} (the record starts on line ${nextLine}): a field with quotes must be wrapped in quotes and its quotes doubled ("say ""hi""")`,
      );
    }
    throw e;
  } finally {
    parser.destroy();
    await feeding.catch(() => {});
    await fh.close();
  }
  const stats: FileStats = { bytes, sha256: hash.digest("hex") };
  if (csvHeader !== undefined) stats.csvHeader = csvHeader;
  return stats;
}

/** Read the file into the parser chunk by chunk, respecting backpressure. */
async function feed(
  fh: FileHandle,
  parser: Parser,
  path: string,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  for (;;) {
    // A fresh buffer per chunk: the parser may keep a slice of the previous one.
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
    } catch (cause) {
      throw ioError(path, cause, "read the file");
    }
    if (bytesRead === 0 || parser.destroyed) break;
    const chunk = buf.subarray(0, bytesRead);
    onChunk(chunk);
    if (!parser.write(chunk)) await drained(parser);
    if (parser.destroyed) return;
  }
  parser.end();
}

function drained(parser: Parser): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      parser.off("drain", done);
      parser.off("close", done);
      resolve();
    };
    parser.on("drain", done);
    parser.on("close", done);
  });
}

/** Line breaks in a record's raw text (\r\n, \n or a lone \r count once each). */
function lineBreaks(raw: string): number {
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x0a) n++;
    else if (c === 0x0d && raw.charCodeAt(i + 1) !== 0x0a) n++;
  }
  return n;
}

/**
 * The line on which the quote left open at the end of the file opens: scans from the start of the record
 * that was being parsed (byte `from`, line `line`) to the end of the file, chunk by chunk, following the
 * quoting rules (a field that starts with a quote runs to the next lone quote; `""` inside is one quote).
 */
async function unclosedQuoteLine(fh: FileHandle, from: number, line: number): Promise<number | undefined> {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let inQuote = false;
  let fieldStart = true;
  let quoteLine = 0;
  let pendingQuote = false; // inside a quote, the previous byte was a quote (closing, or the first of "")
  let prevCr = false;
  let at = from;
  for (;;) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, buf.length, at));
    } catch {
      return undefined;
    }
    if (bytesRead === 0) break;
    at += bytesRead;
    for (let i = 0; i < bytesRead; i++) {
      const b = buf[i]!;
      if (pendingQuote) {
        pendingQuote = false;
        if (b === 0x22) continue; // "" inside quotes
        inQuote = false; // the quote closed the field; b is handled below
      }
      if (b === 0x0a && prevCr) {
        prevCr = false;
        continue;
      }
      prevCr = b === 0x0d;
      const newline = b === 0x0a || b === 0x0d;
      if (inQuote) {
        if (b === 0x22) pendingQuote = true;
        else if (newline) line++;
        continue;
      }
      if (newline) {
        line++;
        fieldStart = true;
      } else if (b === 0x2c) fieldStart = true;
      else if (b === 0x22 && fieldStart) {
        inQuote = true;
        quoteLine = line;
      } else fieldStart = false;
    }
  }
  return inQuote && !pendingQuote ? quoteLine : undefined;
}

function withoutTerminator(raw: string): string {
  if (raw.endsWith("\r\n")) return raw.slice(0, -2);
  if (raw.endsWith("\n") || raw.endsWith("\r")) return raw.slice(0, -1);
  return raw;
}

async function validUtf8(fh: FileHandle, start: number, end: number, decoder: TextDecoder): Promise<boolean> {
  const bytes = Buffer.allocUnsafe(end - start);
  const { bytesRead } = await fh.read(bytes, 0, bytes.length, start);
  try {
    decoder.decode(bytes.subarray(0, bytesRead));
    return true;
  } catch {
    return false;
  }
}
