import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createNgramEmbedder } from "../../src/embed/backends/ngram.js";
import { defaultCacheDir, namespaceOf, openEmbeddingCache, uncached } from "../../src/embed/cache.js";
import { openStore } from "../../src/embed/cache-store.js";
import { embedAll } from "../../src/embed/embed-all.js";
import type { Embedder, EmbedResult } from "../../src/embed/types.js";
import { tempDir } from "../helpers/tmp.js";

/** vector = [length, first char, version tag]; texts over 5 chars count as truncated. */
function counting(version = "1", withMask = true): Embedder & { seen: string[] } {
  const seen: string[] = [];
  return {
    id: "fake",
    version,
    dims: 3,
    normalized: false,
    seen,
    async embed(texts: string[]): Promise<EmbedResult> {
      seen.push(...texts);
      const vectors = new Float32Array(texts.length * 3);
      const mask = new Uint8Array(texts.length);
      texts.forEach((t, i) => {
        vectors.set([t.length, t.charCodeAt(0) || 0, Number(version)], i * 3);
        mask[i] = t.length > 5 ? 1 : 0;
      });
      const truncated = mask.reduce((a, b) => a + b, 0);
      return withMask ? { vectors, truncated, truncatedMask: mask } : { vectors, truncated };
    },
  };
}

const TEXTS = ["alpha", "b", "a much longer text", "gamma ray", "", "b", "delta"];

describe("embedding cache", () => {
  it("misses on the first run, hits on the next (the backend is not called again), same vectors", async () => {
    const dir = await tempDir();
    const inner1 = counting();
    const c1 = await openEmbeddingCache(dir);
    const r1 = await embedAll(c1.wrap(inner1), TEXTS, { batchSize: 3 });
    const w1 = c1.wrap(inner1);
    expect(inner1.seen.length).toBe(TEXTS.length);
    await c1.close();

    const inner2 = counting();
    const c2 = await openEmbeddingCache(dir);
    const w2 = c2.wrap(inner2);
    const r2 = await embedAll(w2, TEXTS, { batchSize: 2 });
    expect(inner2.seen).toEqual([]);
    expect(w2.report()).toMatchObject({ state: "on", hits: TEXTS.length, misses: 0, dir });
    expect(Array.from(r2.matrix.data)).toEqual(Array.from(r1.matrix.data));
    expect(r2.truncated).toBe(r1.truncated);
    expect(r1.truncated).toBe(2);
    expect(w1.report().misses).toBe(0);

    // Half new texts: only those reach the backend.
    const more = [...TEXTS, "new one", "new two"];
    const r3 = await embedAll(w2, more, { batchSize: 4 });
    expect(inner2.seen.sort()).toEqual(["new one", "new two"]);
    expect(r3.matrix.data[7 * 3]).toBe(7);
    await c2.close();
    expect(inner1.seen.length + inner2.seen.length).toBe(TEXTS.length + 2);
  });

  it("keeps backends with other versions or sizes apart", async () => {
    const dir = await tempDir();
    const c = await openEmbeddingCache(dir);
    const v1 = counting("1");
    await embedAll(c.wrap(v1), TEXTS);
    const v2 = counting("2");
    const w2 = c.wrap(v2);
    const r = await embedAll(w2, TEXTS);
    expect(v2.seen.length).toBe(TEXTS.length);
    expect(r.matrix.data[2]).toBe(2);
    expect(w2.report().namespace).not.toBe(c.wrap(v1).report().namespace);
    expect(namespaceOf({ id: "a", version: "1", dims: 3, normalized: true })).not.toBe(
      namespaceOf({ id: "a", version: "1", dims: 3, normalized: false }),
    );
    await c.close();
  });

  it("records truncation per text, from the mask or by asking the backend text by text", async () => {
    const dir = await tempDir();
    const c = await openEmbeddingCache(dir);
    const noMask = counting("5", false);
    const first = await embedAll(c.wrap(noMask), TEXTS, { batchSize: 7, sortByLength: false });
    expect(first.truncated).toBe(2);
    await c.flush();
    const again = counting("5", false);
    const w = c.wrap(again);
    const second = await embedAll(w, TEXTS, { batchSize: 1 });
    expect(again.seen).toEqual([]);
    expect(second.truncated).toBe(2);
    await c.close();
  });

  it("recomputes an entry of the wrong shape", async () => {
    const dir = await tempDir();
    const c = await openEmbeddingCache(dir);
    const inner = counting("7");
    const w = c.wrap(inner);
    await w.embed(["x"]);
    await c.close();
    // Overwrite the entry with a value of the wrong size through the store.
    const { createHash } = await import("node:crypto");
    const ns = createHash("sha256").update(namespaceOf(inner)).digest();
    const key = Buffer.concat([ns, createHash("sha256").update("x").digest()]);
    const store = await openStore(dir);
    await store.putAll([[key, Buffer.from([1, 0, 0, 0, 1, 2])]]);
    await store.close();
    const c2 = await openEmbeddingCache(dir);
    const inner2 = counting("7");
    const r = await c2.wrap(inner2).embed(["x"]);
    expect(inner2.seen).toEqual(["x"]);
    expect(Array.from(r.vectors)).toEqual([1, 120, 7]);
    await c2.close();
  });

  it("bypasses backends fitted on the corpus (ngram) and reports --no-cache", async () => {
    const dir = await tempDir();
    const c = await openEmbeddingCache(dir);
    const ng = createNgramEmbedder({ dims: 32 });
    const w = c.wrap(ng);
    await w.fit?.(["some corpus", "another text"]);
    const r = await w.embed(["some corpus"]);
    expect(w.report()).toMatchObject({ state: "bypassed", hits: 0, misses: 1 });
    expect(Array.from(r.vectors)).toEqual(Array.from((await ng.embed(["some corpus"])).vectors));
    expect(w.version).toBe(ng.version);
    await c.close();
    const off = uncached(counting());
    await off.embed(["a", "b"]);
    expect(off.report()).toEqual({ state: "off", dir: undefined, hits: 0, misses: 2 });
  });

  it("finds its default directory from the environment", () => {
    expect(defaultCacheDir({ INSTRUCT_ARRANGE_CACHE_DIR: "/c" })).toBe("/c");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "instruct-arrange"));
    expect(defaultCacheDir({})).toMatch(/\.cache\/instruct-arrange$/);
    // The test run never uses the user's home directory.
    expect(process.env.INSTRUCT_ARRANGE_CACHE_DIR).toMatch(/ia-test-cache-/);
  });

  it("hands vectors back before their commit and reports a failed write on the next call", async () => {
    const dir = await tempDir();
    const c = await openEmbeddingCache(dir);
    const inner = counting("9");
    const w = c.wrap(inner);
    await w.embed(["p", "q"]);
    await c.flush();
    const second = c.wrap(counting("9"));
    await second.embed(["p", "q"]);
    expect(second.report()).toMatchObject({ hits: 2, misses: 0 });
    await c.close();
    // A closed store cannot take writes: the failure comes back, not lost.
    await expect(
      (async () => {
        await w.embed(["r"]);
        await c.flush();
      })(),
    ).rejects.toBeTruthy();
  });

  it("says what to do when the cache directory cannot be created", async () => {
    const dir = await tempDir();
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "file"), "x");
    await expect(openEmbeddingCache(join(dir, "file", "sub"))).rejects.toMatchObject({
      code: "io",
      option: "--cache-dir",
    });
  });
});
