import { randomBytes } from "node:crypto";
import { open as openFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { open } from "lmdb";
import { describe, expect, it } from "vitest";
import { checkStoreHeader } from "../../src/embed/cache-check.js";
import { walkStorePages } from "../../src/embed/cache-pages.js";
import { tempDir } from "../helpers/tmp.js";

/** A store written in many transactions: new keys, values replaced by larger and smaller ones, deletions. */
async function busyStore(): Promise<string> {
  const dir = await tempDir("cache-pages-");
  const db = open<Buffer, Buffer>({
    path: dir,
    encoding: "binary",
    keyEncoding: "binary",
    compression: false,
  });
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let t = 0; t < 60; t++) {
    await db.batch(() => {
      for (let i = 0; i < 25; i++) {
        const key = Buffer.from(`key ${Math.floor(rnd() * 400)}`);
        if (rnd() < 0.1) db.remove(key);
        else db.put(key, Buffer.alloc(rnd() < 0.5 ? Math.floor(rnd() * 500) : Math.floor(rnd() * 9000), t));
      }
    });
  }
  await db.close();
  return join(dir, "data.mdb");
}

function walk(file: string): string | undefined {
  const h = checkStoreHeader(file);
  expect(h.problem).toBeUndefined();
  return walkStorePages(file, h.pageSize!, h.snapshots!);
}

async function overwritePage(file: string, pgno: number): Promise<void> {
  const fh = await openFile(file, "r+");
  await fh.write(randomBytes(4096), 0, 4096, pgno * 4096);
  await fh.close();
}

/** The root page of the free-page tree (0) or the main tree (1) in the newer meta page. */
async function rootOf(file: string, tree: 0 | 1): Promise<number> {
  const bytes = await readFile(file);
  const metas = [0, 4096].map((at) => ({
    txnid: bytes.readBigUInt64LE(at + 24 + 24 + 96 + 8),
    root: Number(bytes.readBigUInt64LE(at + 24 + 24 + 48 * tree + 40)),
  }));
  return (metas[0]!.txnid > metas[1]!.txnid ? metas[0]! : metas[1]!).root;
}

describe("the LMDB page walk of the embedding cache", () => {
  it("finds nothing wrong in a healthy store written in many commits (shrunk values keep their pages)", async () => {
    const file = await busyStore();
    expect(walk(file)).toBeUndefined();
  });

  it("names a damaged page of the free-page tree (read by writes only, never by reading entries)", async () => {
    const file = await busyStore();
    const root = await rootOf(file, 0);
    await overwritePage(file, root);
    expect(walk(file)).toMatch(new RegExp(`free-page tree page ${root} is damaged`));
  });

  it("names a damaged page of the main tree", async () => {
    const file = await busyStore();
    const root = await rootOf(file, 1);
    await overwritePage(file, root);
    expect(walk(file)).toMatch(new RegExp(`main tree page ${root} is damaged`));
  });

  it("names an overflow page whose page count changed (what LMDB reads when it frees the value)", async () => {
    // One transaction of large values and nothing after it: every overflow page in the file is in use.
    const dir = await tempDir("cache-pages-");
    const db = open<Buffer, Buffer>({
      path: dir,
      encoding: "binary",
      keyEncoding: "binary",
      compression: false,
    });
    await db.batch(() => {
      for (let i = 0; i < 20; i++) db.put(Buffer.from(`big ${i}`), Buffer.alloc(3000, i));
    });
    await db.close();
    const file = join(dir, "data.mdb");
    expect(walk(file)).toBeUndefined();
    const bytes = await readFile(file);
    const overflow: number[] = [];
    for (let p = 2; (p + 1) * 4096 <= bytes.length; p++)
      if ((bytes.readUInt16LE(p * 4096 + 18) & 0x04) !== 0) overflow.push(p);
    expect(overflow).toHaveLength(20);
    // Only the page count changes, as one flipped bit would: the value itself still reads back whole.
    const fh = await openFile(file, "r+");
    const count = Buffer.alloc(4);
    count.writeUInt32LE(123456);
    await fh.write(count, 0, 4, overflow[7]! * 4096 + 20);
    await fh.close();
    expect(walk(file)).toMatch(new RegExp(`overflow page ${overflow[7]} .*is damaged .*123456 pages`));
  });
});
