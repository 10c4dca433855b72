import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { createNgramEmbedder } from "../../src/embed/backends/ngram.js";

function row(v: Float32Array, i: number, dims: number): Float32Array {
  return v.subarray(i * dims, (i + 1) * dims);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Absolute values of the non-zero entries, ascending. */
function magnitudes(v: Float32Array): number[] {
  return [...v]
    .filter((x) => x !== 0)
    .map(Math.abs)
    .sort((a, b) => a - b);
}

/** FNV-1a over the float bytes: pins the exact output. */
function fingerprint(v: Float32Array): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16);
}

describe("ngram embedder", () => {
  const texts = [
    "The quick brown fox jumps over the lazy dog.",
    "The quick brown fox jumped over the lazy dogs!",
    "Quarterly revenue grew by eight percent in Asia.",
    "The quick brown fox jumps over the lazy dog.",
  ];

  it("gives identical vectors to identical texts and unit-length vectors", async () => {
    const e = createNgramEmbedder();
    const { vectors, truncated } = await e.embed(texts);
    expect(truncated).toBe(0);
    expect(vectors.length).toBe(4 * 1024);
    expect(row(vectors, 3, 1024)).toEqual(row(vectors, 0, 1024));
    for (let i = 0; i < 4; i++) expect(dot(row(vectors, i, 1024), row(vectors, i, 1024))).toBeCloseTo(1, 5);
  });

  it("puts a near-duplicate closer than an unrelated text", async () => {
    const e = createNgramEmbedder();
    await e.fit(texts);
    const { vectors } = await e.embed(texts);
    const [a, near, far] = [0, 1, 2].map((i) => row(vectors, i, 1024));
    expect(dot(a!, near!)).toBeGreaterThan(0.5);
    expect(dot(a!, near!)).toBeGreaterThan(dot(a!, far!) + 0.3);
  });

  it("is deterministic across instances, batchings and runs", async () => {
    const a = await createNgramEmbedder().embed(texts);
    const e = createNgramEmbedder();
    const one = await e.embed([texts[2]!]);
    expect(row(a.vectors, 2, 1024)).toEqual(one.vectors);
    // Pinned: a change here changes every stored embedding, so it must come with a new `version`.
    expect(fingerprint(row(a.vectors, 0, 1024))).toBe(fingerprint(row(a.vectors, 3, 1024)));
    expect({ version: e.version, fp: fingerprint(row(a.vectors, 0, 1024)) }).toMatchInlineSnapshot(`
      {
        "fp": "13a2d8d2",
        "version": "ngram-v1;dims=1024;feats=w1+w2+c3-5;hash=fnv1a+fmix32;sign=bit31;tf=1+ln;l2;idf=none",
      }
    `);
  });

  it("honours the dims option, including dims that are not powers of two", async () => {
    for (const dims of [64, 100, 4096]) {
      const e = createNgramEmbedder({ dims });
      expect(e.dims).toBe(dims);
      expect(e.version).toContain(`dims=${dims}`);
      const { vectors } = await e.embed(texts.slice(0, 2));
      expect(vectors.length).toBe(2 * dims);
      expect(dot(row(vectors, 1, dims), row(vectors, 1, dims))).toBeCloseTo(1, 5);
    }
    for (const dims of [0, 1.5, -3, Number.NaN]) {
      expect(() => createNgramEmbedder({ dims })).toThrow(ArrangeError);
      expect(() => createNgramEmbedder({ dims })).toThrow(
        expect.objectContaining({ code: "usage", option: "--ngram-dims" }),
      );
    }
  });

  it("gives the zero vector, not NaN, for texts without word characters", async () => {
    const e = createNgramEmbedder();
    await e.fit(["", "some words"]);
    const { vectors } = await e.embed(["", "   ", "?!-- ...", "a"]);
    for (let i = 0; i < 3; i++) expect(row(vectors, i, 1024).every((x) => x === 0)).toBe(true);
    expect(dot(row(vectors, 3, 1024), row(vectors, 3, 1024))).toBeCloseTo(1, 5);
  });

  it("lowercases and splits on punctuation", async () => {
    const e = createNgramEmbedder();
    const { vectors } = await e.embed(["Hello, World", "hello world", "hello-world!"]);
    expect(row(vectors, 0, 1024)).toEqual(row(vectors, 1, 1024));
    expect(row(vectors, 2, 1024)).toEqual(row(vectors, 1, 1024));
  });

  describe("tf-idf on a hand-computed corpus (word unigrams only)", () => {
    const opts = { dims: 1 << 16, bigrams: false, chars: false } as const;
    const corpus = ["apple banana", "apple cherry", "apple date"];
    const idfBanana = Math.log(4 / 2) + 1; // N = 3, df(banana) = 1
    const idfApple = Math.log(4 / 4) + 1; // df(apple) = 3 → 1

    it("uses idf = 1 before fit", async () => {
      const e = createNgramEmbedder(opts);
      expect(e.version).toContain("idf=none");
      const m = magnitudes((await e.embed(["apple banana"])).vectors);
      expect(m).toHaveLength(2);
      expect(m[0]).toBeCloseTo(Math.SQRT1_2, 6);
      expect(m[1]).toBeCloseTo(Math.SQRT1_2, 6);
    });

    it("weights rare words up after fit", async () => {
      const e = createNgramEmbedder(opts);
      await e.fit(corpus);
      expect(e.fittedDocs).toBe(3);
      expect(e.version).toMatch(/idf=fit:3:[0-9a-f]{8}$/);
      const m = magnitudes((await e.embed(["apple banana"])).vectors);
      const norm = Math.hypot(idfApple, idfBanana);
      expect(m[0]).toBeCloseTo(idfApple / norm, 6);
      expect(m[1]).toBeCloseTo(idfBanana / norm, 6);
    });

    it("applies sublinear tf (1 + ln tf)", async () => {
      const e = createNgramEmbedder(opts);
      await e.fit(corpus);
      const m = magnitudes((await e.embed(["banana apple banana"])).vectors);
      const banana = (1 + Math.log(2)) * idfBanana;
      const norm = Math.hypot(idfApple, banana);
      expect(m[0]).toBeCloseTo(idfApple / norm, 6);
      expect(m[1]).toBeCloseTo(banana / norm, 6);
    });

    it("accepts any iterable in fit and gives unseen words the largest idf", async () => {
      const e = createNgramEmbedder(opts);
      await e.fit(
        (function* () {
          yield* corpus;
        })(),
      );
      const m = magnitudes((await e.embed(["apple kiwi"])).vectors);
      const idfKiwi = Math.log(4 / 1) + 1;
      expect(m[1]! / m[0]!).toBeCloseTo(idfKiwi / idfApple, 5);
    });
  });

  it("counts character n-grams: a shared stem makes words similar", async () => {
    const e = createNgramEmbedder({ words: false, bigrams: false });
    const { vectors } = await e.embed(["embedding", "embeddings", "zoology"]);
    expect(dot(row(vectors, 0, 1024), row(vectors, 1, 1024))).toBeGreaterThan(0.7);
    expect(Math.abs(dot(row(vectors, 0, 1024), row(vectors, 2, 1024)))).toBeLessThan(0.2);
  });
});
