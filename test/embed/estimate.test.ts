import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { embedAll } from "../../src/embed/embed-all.js";
import type { Embedder, EmbedResult } from "../../src/embed/types.js";

/** 4 characters a token, at most 256 tokens a text; each batch takes 10 s on the fake clock, loading 100 s. */
function slowBackend(clock: { now: number }, concurrency = 1): Embedder & { warmed: number[] } {
  const warmed: number[] = [];
  return {
    id: "slow",
    version: "1",
    dims: 2,
    normalized: false,
    maxTokens: 256,
    concurrency,
    warmed,
    async warmUp(batches?: number) {
      warmed.push(batches ?? 0);
      clock.now += 100;
    },
    async embed(texts: string[]): Promise<EmbedResult> {
      let tokens = 0;
      let tokenChars = 0;
      for (const t of texts) {
        const n = Math.min(256, Math.ceil(t.length / 4));
        tokens += n;
        tokenChars += Math.min(t.length, n * 4);
      }
      // Batches in flight at once overlap: each ends 10 s after it started.
      const start = clock.now;
      await new Promise((done) => setImmediate(done));
      clock.now = Math.max(clock.now, start + 10);
      return { vectors: new Float32Array(texts.length * 2), truncated: 0, tokens, tokenChars };
    },
  };
}

describe("embedding time estimate", () => {
  it("after the first batch, gives texts, tokens and time; above ten minutes, the faster choices in one line", async () => {
    const clock = { now: 0 };
    const events: ProgressEvent[] = [];
    const texts = Array.from({ length: 1000 }, (_, i) => `${"x".repeat(396)}${String(i).padStart(4, "0")}`);
    const e = slowBackend(clock);
    const r = await embedAll(e, texts, {
      batchSize: 10,
      label: "train",
      clock: () => clock.now,
      onProgress: (ev) => events.push(ev),
    });
    expect(e.warmed).toEqual([1]);
    // 100 tokens a text; the first batch: 1,000 tokens in 10 s (loading not counted).
    expect(r.estimate).toEqual({
      texts: 1000,
      tokens: 100_000,
      seconds: 1000,
      concurrency: 1,
      tokensPerSecond: 100,
    });
    const est = events.filter((ev) => ev.stage === "embed:estimate");
    expect(est).toHaveLength(1);
    expect(est[0]!.estimate).toEqual({ ...r.estimate, set: "train", embedder: "slow" });
    expect(est[0]!.done).toBe(10);
    const lines = est[0]!.message!.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "embedding 1000 texts, about 100000 tokens, with slow: about 17 min (first batch: 100 tokens/s on 1 thread)",
    );
    for (const choice of ["--embedder ngram", "--embedder http", ".npy", "--embed-threads"])
      expect(lines[1]).toContain(choice);
  });

  it("caps each text at the token limit, divides by the batches in flight, and says nothing under a minute", async () => {
    const clock = { now: 0 };
    const events: ProgressEvent[] = [];
    // 2,000 characters a text: 256 tokens kept of 500.
    const texts = Array.from({ length: 40 }, () => "y".repeat(2000));
    const r = await embedAll(slowBackend(clock, 2), texts, {
      batchSize: 4,
      clock: () => clock.now,
      onProgress: (ev) => events.push(ev),
    });
    expect(r.estimate).toMatchObject({ tokens: 40 * 256, concurrency: 2 });
    // 4 × 256 tokens in 10 s on each of 2 threads: 204.8 tokens/s, 10,240 tokens in 50 s.
    expect(r.estimate!.seconds).toBeCloseTo(50, 6);
    expect(events.some((ev) => ev.stage === "embed:estimate")).toBe(false);
  });

  it("waits for a batch that reports tokens (backends that do not give none)", async () => {
    const r = await embedAll(
      {
        id: "plain",
        version: "1",
        dims: 1,
        normalized: false,
        async embed(texts: string[]) {
          return { vectors: new Float32Array(texts.length), truncated: 0 };
        },
      },
      ["a", "b"],
    );
    expect(r.estimate).toBeUndefined();
  });
});
