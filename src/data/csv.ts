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
  let recordNo = 0;
  try {
    for await (const item of parser as AsyncIterable<ParsedRecord>) {
      const start = prevEnd < 0 ? bom : prevEnd;
      prevEnd = item.info.bytes;
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
      recordNo++;
      if (badUtf8) {
        sink.invalid(
          recordNo,
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
          recordNo,
          new RowProblem(
            `record has ${fields.length} fields but the header has ${header.length}`,
            'quote fields that contain the delimiter or line breaks ("a, b"), or pass --skip-invalid to skip such records',
          ),
        );
        continue;
      }
      const record: Record<string, unknown> = Object.create(null);
      for (let c = 0; c < fields.length; c++) record[header[c]!] = fields[c];
      sink.record(record, recordNo, start, end);
    }
    await feeding;
  } catch (e) {
    if (e instanceof CsvError) {
      const at = (e as CsvError & { lines?: number }).lines;
      throw inputError(
        `CSV syntax error: ${e.message}`,
        path,
        recordNo + 1,
        `check the quoting${at !== undefined ? ` around text line ${at}` : ""}: a field with quotes must be wrapped in quotes and its quotes doubled ("say ""hi""")`,
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
