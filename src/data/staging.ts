import { randomBytes } from "node:crypto";
import { type FileHandle, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { ArrangeError } from "../core/errors.js";
import { openTemp, registerTemp, releaseTemp } from "../core/temp-files.js";
import { writeAll } from "./atomic.js";
import { ioError } from "./io.js";

/**
 * Several output files that appear together or not at all: each is written to a hidden temporary path
 * beside its destination (same directory, same extension, so format checks still see it), then all are
 * renamed into place by `commit`. `abort` removes whatever was staged.
 */
export class Staging {
  private readonly pending: { tmp: string; dest: string }[] = [];

  path(dest: string): string {
    const ext = extname(dest);
    const tmp = join(dirname(dest), `.${basename(dest, ext)}.${randomBytes(4).toString("hex")}.staged${ext}`);
    this.pending.push({ tmp, dest });
    registerTemp(tmp, dest);
    return tmp;
  }

  async commit(): Promise<void> {
    for (const { tmp, dest } of this.pending) {
      try {
        await rename(tmp, dest);
        releaseTemp(tmp);
      } catch (cause) {
        throw new ArrangeError("io", `cannot move the finished output into place: ${String(cause)}`, {
          file: dest,
          fix: "check that the output directory is writable",
          cause,
        });
      }
    }
    this.pending.length = 0;
  }

  async abort(): Promise<void> {
    await Promise.all(
      this.pending.map(async ({ tmp }) => {
        await rm(tmp, { force: true });
        releaseTemp(tmp);
      }),
    );
    this.pending.length = 0;
  }
}

/**
 * Write strings to a file in ~1 MiB chunks. Every byte is written or the call fails: a short write (a full
 * disk) is continued until the system reports the error, which becomes an "io" error naming the user's path.
 */
export async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    try {
      fh = await openTemp(path, "w");
    } catch (cause) {
      throw ioError(path, cause, "create the output file");
    }
    let buf: string[] = [];
    let size = 0;
    for (const line of lines) {
      buf.push(line);
      size += line.length;
      if (size >= 1 << 20) {
        await writeChunk(fh, path, buf.join(""));
        buf = [];
        size = 0;
      }
    }
    if (buf.length > 0) await writeChunk(fh, path, buf.join(""));
    const closing = fh;
    fh = undefined;
    try {
      await closing.close();
    } catch (cause) {
      throw ioError(path, cause, "write the output file");
    }
  } finally {
    await fh?.close().catch(() => {});
  }
}

async function writeChunk(fh: FileHandle, path: string, text: string): Promise<void> {
  try {
    await writeAll(fh, Buffer.from(text, "utf8"));
  } catch (cause) {
    throw ioError(path, cause, "write the output file");
  }
}
