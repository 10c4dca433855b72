import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { ArrangeError } from "../core/errors.js";

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
    return tmp;
  }

  async commit(): Promise<void> {
    for (const { tmp, dest } of this.pending) {
      try {
        await rename(tmp, dest);
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
    await Promise.all(this.pending.map(({ tmp }) => rm(tmp, { force: true })));
    this.pending.length = 0;
  }
}

/** Write strings to a file in ~1 MiB chunks. */
export async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, "w");
    let buf: string[] = [];
    let size = 0;
    for (const line of lines) {
      buf.push(line);
      size += line.length;
      if (size >= 1 << 20) {
        await fh.write(buf.join(""));
        buf = [];
        size = 0;
      }
    }
    if (buf.length > 0) await fh.write(buf.join(""));
  } catch (cause) {
    throw new ArrangeError("io", `cannot write: ${String(cause)}`, {
      file: path,
      fix: "check the path and free disk space",
      cause,
    });
  } finally {
    await fh?.close();
  }
}
