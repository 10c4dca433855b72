import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";
import { ArrangeError, isArrangeError } from "../core/errors.js";
import type { FileStats } from "./collect.js";

/** Compression a file name announces: `.gz` (gzip, node's zlib) or `.zst` (Zstandard, the fzstd library). */
export type Compression = "gzip" | "zstd";

export function compressionOfPath(path: string): Compression | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".gz")) return "gzip";
  if (lower.endsWith(".zst")) return "zstd";
  return undefined;
}

/** Bytes read per chunk when streaming a file. */
export const CHUNK_BYTES = 1 << 20;

/** An "io" error for a failed file-system call, with a fix that fits the system error. */
export function ioError(path: string, cause: unknown, doing: string): ArrangeError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const fixes: Record<string, string> = {
    ENOENT: "check the path: the file or directory does not exist",
    EACCES: "check the file permissions",
    EPERM: "check the file permissions",
    EISDIR: "give a file path, not a directory",
    ENOTDIR: "check the path: a part of it is not a directory",
    ENOSPC: "free disk space",
    EROFS: "the file system is read-only: write the output to another directory",
    EMFILE: "raise the open-file limit (ulimit -n)",
  };
  const reason = code === "ENOENT" ? "no such file or directory" : String((cause as Error)?.message ?? cause);
  return new ArrangeError("io", `cannot ${doing}: ${reason}`, {
    file: path,
    fix: (code !== undefined ? fixes[code] : undefined) ?? "check the path and its permissions",
    cause,
  });
}

export async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (cause) {
    throw ioError(path, cause, "open the file");
  }
}

/** The UTF-8 byte-order mark, which readers skip at the start of a file. */
export function bomLength(chunk: Uint8Array): number {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
}

/**
 * Read a file to its end in CHUNK_BYTES pieces, hashing it on the way: `onChunk` sees each piece (valid only
 * during the call; the buffer is reused) and the file offset of its first byte.
 */
export async function streamFile(
  path: string,
  onChunk: (chunk: Buffer, offset: number) => void,
  /** The 1-based row being read, for the message of corrupt compressed data. */
  row?: () => number | undefined,
): Promise<FileStats> {
  const compression = compressionOfPath(path);
  if (compression !== undefined) return streamCompressed(path, compression, onChunk, row);
  const fh = await openForRead(path);
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let offset = 0;
  try {
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
      } catch (cause) {
        throw ioError(path, cause, "read the file");
      }
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      onChunk(chunk, offset);
      offset += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { bytes: offset, sha256: hash.digest("hex") };
}

/**
 * Stream a compressed file: `onChunk` sees the decompressed bytes (offsets into the decompressed text); the
 * hash and size are those of the file on disk. Truncated or corrupt data is an input error naming the row
 * being read; nothing is skipped.
 */
async function streamCompressed(
  path: string,
  compression: Compression,
  onChunk: (chunk: Buffer, offset: number) => void,
  row: (() => number | undefined) | undefined,
): Promise<FileStats> {
  const fh = await openForRead(path);
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let raw = 0;
  let offset = 0;
  const emit = (piece: Uint8Array) => {
    if (piece.length === 0) return;
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    onChunk(chunk, offset);
    offset += chunk.length;
  };
  const readRaw = async (): Promise<Buffer | null> => {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
    } catch (cause) {
      throw ioError(path, cause, "read the file");
    }
    if (bytesRead === 0) return null;
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    raw += bytesRead;
    return chunk;
  };
  try {
    if (compression === "zstd") {
      const d = new Decompress((chunk) => emit(chunk));
      for (let chunk = await readRaw(); chunk !== null; chunk = await readRaw()) d.push(chunk, false);
      d.push(new Uint8Array(0), true);
    } else {
      const gunzip = createGunzip();
      const pieces: Buffer[] = [];
      let failure: unknown;
      let closed = false;
      gunzip.on("data", (c: Buffer) => pieces.push(c));
      gunzip.on("error", (e) => {
        failure ??= e;
      });
      gunzip.on("close", () => {
        closed = true;
      });
      // Resolves on the first of the events, or at once when the stream has already failed or closed.
      const until = (...events: string[]) =>
        new Promise<void>((resolve) => {
          if (failure !== undefined || closed) return resolve();
          const done = () => {
            for (const ev of [...events, "error", "close"]) gunzip.off(ev, done);
            resolve();
          };
          for (const ev of [...events, "error", "close"]) gunzip.once(ev, done);
        });
      const flush = () => {
        for (const p of pieces.splice(0)) emit(p);
        if (failure !== undefined) throw failure;
      };
      for (let chunk = await readRaw(); chunk !== null; chunk = await readRaw()) {
        if (!gunzip.write(Buffer.from(chunk))) await until("drain");
        flush();
      }
      const ended = until("end");
      gunzip.end();
      await ended;
      flush();
      if (raw === 0) throw new Error("the file is empty, not gzip data");
    }
  } catch (cause) {
    if (isArrangeError(cause)) throw cause;
    const at = row?.();
    throw new ArrangeError(
      "input",
      `truncated or corrupt ${compression} data after ${offset} decompressed bytes: ${(cause as Error).message}`,
      {
        file: path,
        line: at,
        fix: `check the file (${compression === "gzip" ? "gzip -t" : "zstd -t"} ${path}): re-download or re-compress it`,
        cause,
      },
    );
  } finally {
    await fh.close();
  }
  return { bytes: raw, sha256: hash.digest("hex") };
}
