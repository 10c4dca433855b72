import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import {
  checkEmbedderName,
  createEmbedder,
  DEFAULT_EMBEDDER,
  describeEmbedders,
  EMBEDDERS,
} from "../../src/embed/index.js";

describe("embedder registry", () => {
  it("lists the backends, use-lite first as the default", () => {
    expect(EMBEDDERS).toEqual(["use-lite", "ngram", "http", "minilm", "hf:<model-id>"]);
    expect(DEFAULT_EMBEDDER).toBe("use-lite");
    expect(describeEmbedders()).toHaveLength(EMBEDDERS.length);
  });

  it("creates the ngram backend with its options", async () => {
    const e = await createEmbedder("ngram", { ngramDims: 256 });
    expect(e.id).toBe("ngram");
    expect(e.dims).toBe(256);
  });

  it("rejects an unknown name as a usage error naming --embedder and the valid names", async () => {
    const err = await createEmbedder("minilm-typo").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArrangeError);
    expect(err).toMatchObject({ code: "usage", option: "--embedder" });
    expect((err as ArrangeError).fix).toBe("Expected one of: use-lite, ngram, http, minilm, hf:<model-id>");
    expect((err as ArrangeError).describe()).toContain('unknown embedder "minilm-typo" (--embedder)');
  });

  it("chooses hf:<model-id> by prefix, and needs a model id after it", async () => {
    expect(checkEmbedderName("hf:Xenova/bge-small-en-v1.5")).toBe("hf:Xenova/bge-small-en-v1.5");
    expect(checkEmbedderName("minilm")).toBe("minilm");
    expect(() => checkEmbedderName("hf:")).toThrow(/unknown embedder "hf:"/);
    expect(() => checkEmbedderName("hf")).toThrow(/unknown embedder/);
  });

  it("does not take the placeholder hf:<model-id> (or a spaced id) for a model", () => {
    for (const name of ["hf:<model-id>", "hf:some model", "hf:/x"]) {
      let err: unknown;
      try {
        checkEmbedderName(name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArrangeError);
      expect(err).toMatchObject({ code: "usage", option: "--embedder" });
      expect((err as ArrangeError).message).toContain(`embedder "${name}" does not name a model`);
      expect((err as ArrangeError).fix).toContain("hf:Xenova/bge-small-en-v1.5");
    }
  });

  it("passes backend option errors through", async () => {
    await expect(createEmbedder("ngram", { ngramDims: -1 })).rejects.toMatchObject({
      code: "usage",
      option: "--ngram-dims",
    });
    await expect(createEmbedder("use-lite", { maxTokens: 0 })).rejects.toMatchObject({
      code: "usage",
      option: "--max-tokens",
    });
  });
});
