import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";

/** A fresh temporary directory, removed when the test file finishes. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ia-data-"));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Write a file (text or bytes) under dir and return its path. */
export async function put(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

export const jsonl = (rows: unknown[], eol = "\n"): string =>
  rows.map((r) => JSON.stringify(r)).join(eol) + eol;

/** Await a promise that must reject with an ArrangeError; returns it for further checks. */
export async function rejection(p: Promise<unknown>): Promise<ArrangeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ArrangeError);
    return e as ArrangeError;
  }
  throw new Error("expected the promise to reject");
}
