import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A fresh temporary directory removed after the test file finishes. */
export async function tempDir(prefix = "ia-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export const SHARED_P3 = new URL("../../../shared/data/p3-t0-train/", import.meta.url).pathname;
export const EXAMPLE_TRAIN = new URL("../../examples/data/train/", import.meta.url).pathname.replace(
  /\/$/,
  "",
);
export const EXAMPLE_TEST = new URL("../../examples/data/test/", import.meta.url).pathname.replace(/\/$/, "");
