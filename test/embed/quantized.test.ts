import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createEmbedder, embedAll } from "../../src/embed/index.js";
import { writeBertFixture } from "../../src/embed/testing/bert-fixture.js";
import type { Embedder } from "../../src/embed/types.js";
import { tempDir } from "../helpers/tmp.js";

const WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "in", "park", "stock", "market", "fell"];
const TEXTS = [
  "the cat sat on the mat",
  "a dog ran in the park",
  "the stock market fell",
  "cat dog park mat",
  "market",
  "the the the cat",
];

describe("--quantized on the random BERT fixture", () => {
  const open: Embedder[] = [];
  afterAll(async () => {
    for (const e of open) await e.dispose?.();
  });

  it("runs the 8-bit graph: vectors close to fp32 (cosine per row) but not the same", async () => {
    const modelDir = join(await tempDir(), "tiny");
    await writeBertFixture(modelDir, { words: WORDS, seed: 3, quantized: true });
    const fp32 = await createEmbedder("minilm", { modelDir });
    const q8 = await createEmbedder("minilm", { modelDir, quantized: true });
    open.push(fp32, q8);
    expect(q8.version).toContain("dtype=q8");
    expect(q8.version).not.toBe(fp32.version);
    const a = (await embedAll(fp32, TEXTS)).matrix;
    const b = (await embedAll(q8, TEXTS)).matrix;
    const d = a.cols;
    let differs = false;
    for (let r = 0; r < TEXTS.length; r++) {
      let dot = 0;
      for (let k = 0; k < d; k++) {
        dot += a.data[r * d + k]! * b.data[r * d + k]!;
        if (a.data[r * d + k] !== b.data[r * d + k]) differs = true;
      }
      expect(dot).toBeGreaterThan(0.98);
    }
    expect(differs).toBe(true);
    // The backend reports what the estimate needs: its token limit, tokens read, characters they cover.
    const r = await q8.embed(["the cat sat", "market"]);
    expect(q8.maxTokens).toBe(256);
    expect(r.tokens).toBe(5 + 3);
    expect(r.tokenChars).toBe("the cat sat".length + "market".length);
  });
});
