import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openEmbeddingCache } from "../../src/embed/cache.js";
import { STORE_SUBDIR } from "../../src/embed/cache-store.js";
import { embedAll } from "../../src/embed/embed-all.js";
import type { Embedder, EmbedResult } from "../../src/embed/types.js";
import { tempDir } from "../helpers/tmp.js";

/** Entries another process sees in the store right now (a reader outside this busy thread). */
function committedEntries(cacheDir: string): number {
  const path = join(cacheDir, STORE_SUBDIR);
  const script =
    `const { open } = require("lmdb");` +
    `const db = open({ path: ${JSON.stringify(path)}, encoding: "binary", keyEncoding: "binary", readOnly: true });` +
    "let n = 0; for (const _ of db.getKeys()) n++; process.stdout.write(String(n));";
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: process.cwd() });
  if (r.status !== 0) throw new Error(`reader failed: ${r.stderr}`);
  return Number(r.stdout);
}

describe("embedding cache commits", () => {
  it("commits each finished batch while a backend keeps this thread busy (a SIGKILL keeps them)", async () => {
    const dir = await tempDir();
    const cache = await openEmbeddingCache(dir);
    const seenDuring: number[] = [];
    let calls = 0;
    // Like the in-thread use-lite: its promises resolve at once, so the event loop never gets a turn by itself.
    const busy: Embedder = {
      id: "busy",
      version: "1",
      dims: 2,
      normalized: false,
      async embed(texts: string[]): Promise<EmbedResult> {
        calls++;
        if (calls === 4) seenDuring.push(committedEntries(dir));
        const vectors = new Float32Array(texts.length * 2);
        for (let i = 0; i < texts.length; i++) vectors.set([texts[i]!.length, calls], i * 2);
        return { vectors, truncated: 0 };
      },
    };
    const texts = Array.from({ length: 50 }, (_, i) => `text ${String(i).padStart(3, "0")}`);
    await embedAll(cache.wrap(busy), texts, { batchSize: 10 });
    await cache.close();
    // During the 4th batch, finished batches are on disk: all three (30 entries + the namespace entry), or at
    // least the first when the 3rd commit is still on its way.
    expect(seenDuring).toHaveLength(1);
    expect(seenDuring[0]).toBeGreaterThanOrEqual(11);
    expect(seenDuring[0]).toBeLessThanOrEqual(31);
    expect(committedEntries(dir)).toBe(51);
  });
});
