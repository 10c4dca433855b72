/**
 * Source of a child process that embeds `texts` through the embedding cache in `dir` with a fake backend
 * (vector i = [text length, first char code, ...zeros]) and prints one JSON line: the warnings, the cache
 * report and whether every vector is right. Runs in a child so that a crash (SIGSEGV) cannot take the
 * test runner with it.
 */
export function cacheScript(dir: string, texts: string[], dims = 600): string {
  return `
    import { openEmbeddingCache } from "./dist/src/embed/cache.js";
    const dims = ${dims};
    const texts = ${JSON.stringify(texts)};
    const expected = (t) => { const v = new Float32Array(dims); v[0] = t.length; v[1] = t.charCodeAt(0) || 0; return v; };
    let computed = 0;
    const fake = {
      id: "fake", version: "1", dims, normalized: false,
      async embed(batch) {
        computed += batch.length;
        const out = new Float32Array(batch.length * dims);
        batch.forEach((t, i) => out.set(expected(t), i * dims));
        return { vectors: out, truncated: 0, truncatedMask: new Uint8Array(batch.length) };
      },
    };
    const warnings = [];
    const cache = await openEmbeddingCache(${JSON.stringify(dir)}, { onWarning: (m) => warnings.push(m) });
    const w = cache.wrap(fake);
    let right = true;
    for (let at = 0; at < texts.length; at += 50) {
      const batch = texts.slice(at, at + 50);
      const r = await w.embed(batch);
      batch.forEach((t, i) => { const e = expected(t); for (let k = 0; k < dims; k++) if (r.vectors[i * dims + k] !== e[k]) right = false; });
    }
    await cache.close();
    console.log(JSON.stringify({ warnings, report: w.report(), computed, right }));
  `;
}

export const TEXTS = Array.from({ length: 300 }, (_, i) => `cached text number ${i}`);
