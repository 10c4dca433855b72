import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { ArrangeError } from "../core/errors.js";
import type { FileStats } from "./collect.js";

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
): Promise<FileStats> {
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
