import { randomBytes } from "node:crypto";
import { type FileHandle, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isArrangeError } from "../core/errors.js";
import { openTemp, registerTemp, releaseTemp } from "../core/temp-files.js";
import { ioError } from "./io.js";

/** The hidden temporary path `atomicWrite` writes to: `.<name>.<random>.tmp` beside the destination. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Write a file all at once or not at all: `write` fills a temporary file in the destination's directory,
 * which is then renamed onto `path`. On any error the temporary file is removed and an existing file at
 * `path` is left untouched. File-system errors become ArrangeError code "io".
 */
export async function atomicWrite<T>(
  path: string,
  write: (file: FileHandle, tempPath: string) => Promise<T>,
): Promise<T> {
  const tempPath = tempPathFor(path);
  let fh: FileHandle;
  registerTemp(tempPath, path);
  try {
    fh = await openTemp(tempPath, "wx");
  } catch (cause) {
    // Built while the temp path is registered, so the message names the user's path instead.
    const error = ioError(path, cause, "create the output file");
    releaseTemp(tempPath);
    throw error;
  }
  let closed = false;
  let done = false;
  try {
    const result = await write(fh, tempPath);
    await fh.close();
    closed = true;
    await rename(tempPath, path);
    done = true;
    return result;
  } catch (cause) {
    if (isArrangeError(cause) || (cause as NodeJS.ErrnoException)?.code === undefined) throw cause;
    throw ioError(path, cause, "write the output file");
  } finally {
    if (!done) {
      if (!closed) await fh.close().catch(() => {});
      await rm(tempPath, { force: true }).catch(() => {});
    }
    releaseTemp(tempPath);
  }
}

/**
 * Write all of `bytes` at the file's current position: a short write is continued (the next call then
 * reports the error, e.g. ENOSPC); a write that makes no progress fails as ENOSPC instead of looping.
 */
export async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error("ENOSPC: no space left on device, write (no bytes written)"), {
        code: "ENOSPC",
      });
    }
    done += bytesWritten;
  }
}

/** Collects small writes in a buffer and writes it to the file when full. */
export class BufferedOutput {
  private readonly buf: Buffer;
  private used = 0;

  constructor(
    private readonly fh: FileHandle,
    size = 4 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Append bytes; returns a promise only when the buffer had to be written out (await it then). */
  write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.used + bytes.length <= this.buf.length) {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
      return undefined;
    }
    return this.writeSlow(bytes);
  }

  writeString(text: string): Promise<void> | undefined {
    return this.write(Buffer.from(text, "utf8"));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await writeAll(this.fh, this.buf.subarray(0, n));
  }

  private async writeSlow(bytes: Uint8Array): Promise<void> {
    await this.flush();
    if (bytes.length >= this.buf.length) await writeAll(this.fh, bytes);
    else {
      this.buf.set(bytes, 0);
      this.used = bytes.length;
    }
  }
}

/** Write strings as lines to `path` atomically (for metadata: one JSON document per line); a newline is added unless a string ends with one. */
export async function writeJsonLines(path: string, lines: Iterable<string>): Promise<void> {
  await atomicWrite(path, async (fh) => {
    const out = new BufferedOutput(fh);
    for (const line of lines) {
      const p = out.writeString(line.endsWith("\n") ? line : `${line}\n`);
      if (p !== undefined) await p;
    }
    await out.flush();
  });
}
