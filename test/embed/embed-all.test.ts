import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { embedAll } from "../../src/embed/embed-all.js";
import type { Embedder, EmbedResult } from "../../src/embed/types.js";

/** A fake backend: vector = [text length, first char code]; counts texts over 5 chars as truncated. */
function fakeEmbedder(calls: string[][] = []): Embedder {
  return {
    id: "fake",
    version: "1",
    dims: 2,
    normalized: false,
    async embed(texts: string[]): Promise<EmbedResult> {
      calls.push(texts);
      const vectors = new Float32Array(texts.length * 2);
      texts.forEach((t, i) => {
        vectors[2 * i] = t.length;
        vectors[2 * i + 1] = t.charCodeAt(0) || 0;
      });
      return { vectors, truncated: texts.filter((t) => t.length > 5).length };
    },
  };
}

const texts = ["bb", "a", "eeeeeee", "ccc", "dddddd", "", "ff"];

describe("embedAll", () => {
  for (const sortByLength of [true, false]) {
    it(`fills rows in input order (sortByLength ${sortByLength})`, async () => {
      const calls: string[][] = [];
      const r = await embedAll(fakeEmbedder(calls), texts, { batchSize: 3, sortByLength });
      expect(r.matrix.rows).toBe(texts.length);
      expect(r.matrix.cols).toBe(2);
      expect(r.truncated).toBe(2);
      expect([...r.matrix.data]).toEqual(texts.flatMap((t) => [t.length, t.charCodeAt(0) || 0]));
      expect(calls.map((c) => c.length)).toEqual([3, 3, 1]);
      if (sortByLength) expect(calls[0]).toEqual(["eeeeeee", "dddddd", "ccc"]);
      else expect(calls[0]).toEqual(["bb", "a", "eeeeeee"]);
    });
  }

  it("uses the embedder's preferredBatchSize when no batch size is given, else the given one", async () => {
    const calls: string[][] = [];
    const e = { ...fakeEmbedder(calls), preferredBatchSize: 5 };
    const r = await embedAll(e, texts);
    expect(calls.map((c) => c.length)).toEqual([5, 2]);
    expect([...r.matrix.data]).toEqual(texts.flatMap((t) => [t.length, t.charCodeAt(0) || 0]));
    calls.length = 0;
    await embedAll(e, texts, { batchSize: 2 });
    expect(calls.map((c) => c.length)).toEqual([2, 2, 2, 1]);
    calls.length = 0;
    await embedAll(fakeEmbedder(calls), texts);
    expect(calls.map((c) => c.length)).toEqual([7]);
  });

  it("emits progress events per batch under embed:<label>", async () => {
    const events: ProgressEvent[] = [];
    await embedAll(fakeEmbedder(), texts, {
      batchSize: 4,
      label: "train",
      onProgress: (e) => events.push(e),
    });
    expect(events).toEqual([
      { stage: "embed:train", done: 0, total: 7, unit: "texts" },
      { stage: "embed:train", done: 4, total: 7, unit: "texts" },
      { stage: "embed:train", done: 7, total: 7, unit: "texts" },
    ]);
  });

  it("handles an empty list and rejects bad batch sizes", async () => {
    const r = await embedAll(fakeEmbedder(), []);
    expect(r.matrix).toEqual({ data: new Float32Array(0), rows: 0, cols: 2 });
    await expect(embedAll(fakeEmbedder(), texts, { batchSize: 0 })).rejects.toMatchObject({
      code: "usage",
      option: "--batch-size",
    });
  });

  it("reports a backend that returns the wrong number of values", async () => {
    const bad: Embedder = {
      ...fakeEmbedder(),
      embed: async () => ({ vectors: new Float32Array(1), truncated: 0 }),
    };
    await expect(embedAll(bad, ["a", "b"])).rejects.toMatchObject({ code: "internal" });
  });
});
