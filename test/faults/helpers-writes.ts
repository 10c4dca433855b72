import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { type FileHandle, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { vi } from "vitest";
import { main } from "../../src/cli/main.js";

/**
 * Fault injection at the write layer: every `FileHandle.write` in this process shares a budget of bytes,
 * as a disk with that much free space would. A write that does not fit writes what fits and returns a short
 * count (as write(2) does at a full disk); every later write fails with ENOSPC.
 */
export async function injectDiskBudget(
  bytes: number,
): Promise<{ written: () => number; restore: () => void }> {
  const probePath = join(tmpdir(), `ia-probe-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const probe = await open(probePath, "w");
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  await rm(probePath, { force: true });
  const original = proto.write;
  let left = bytes;
  let total = 0;
  const spy = vi.spyOn(proto, "write").mockImplementation(async function (
    this: FileHandle,
    data: unknown,
    ...rest: unknown[]
  ) {
    // Bring both call forms to bytes: write(buffer, offset?, length?, position?) and write(string, position?, encoding?).
    let bytesOf: Uint8Array;
    let position: unknown;
    if (typeof data === "string") {
      bytesOf = Buffer.from(data, (rest[1] as BufferEncoding | undefined) ?? "utf8");
      position = rest[0];
    } else {
      const buf = data as Uint8Array;
      const offset = (rest[0] as number | undefined) ?? 0;
      const length = (rest[1] as number | undefined) ?? buf.byteLength - offset;
      bytesOf = buf.subarray(offset, offset + length);
      position = rest[2];
    }
    if (left <= 0 && bytesOf.length > 0) {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
        code: "ENOSPC",
        errno: -28,
      });
    }
    const n = Math.min(left, bytesOf.length);
    left -= n;
    total += n;
    const call = original as unknown as (
      this: FileHandle,
      b: Uint8Array,
      o: number,
      l: number,
      p: unknown,
    ) => Promise<{ bytesWritten: number }>;
    const r = await call.call(this, bytesOf, 0, n, position ?? null);
    return { bytesWritten: r.bytesWritten, buffer: data };
  } as never);
  return { written: () => total, restore: () => spy.mockRestore() };
}

/** Run the CLI in this process (so injected faults apply); returns its exit status and what it wrote to stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation(((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  }) as never);
  try {
    const code = await main(args);
    return { code, stderr: chunks.join("") };
  } finally {
    spy.mockRestore();
  }
}

/** Every file under `dir` (relative paths, sorted), hidden ones included. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** The contents of every file under `dir`, by relative path. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, readFileSync(join(dir, f), "latin1")]));
}

/** Names of the project's hidden temporary files (staged outputs and atomic-write temps) among `files`. */
export function tempFiles(files: readonly string[]): string[] {
  return files.filter((f) => /(^|\/)\.[^/]*\.(staged\.[^/]*|tmp)$/.test(f) || /\.staged(\.|$)/.test(f));
}

/**
 * A tmpfs of `kib` KiB mounted at a fresh directory, or a reason it cannot be (not root, no mount
 * permission in a container). The caller unmounts it with `unmount`.
 */
export function mountTmpfs(kib: number): { dir: string; unmount: () => void } | { skip: string } {
  const dir = join(tmpdir(), `ia-tmpfs-${process.pid}-${Math.random().toString(16).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    return {
      skip: `cannot mount a tmpfs (${(r.stderr || r.error?.message || "").trim() || `rc ${r.status}`})`,
    };
  }
  return {
    dir,
    unmount: () => {
      spawnSync("umount", [dir]);
      spawnSync("rmdir", [dir]);
    },
  };
}
