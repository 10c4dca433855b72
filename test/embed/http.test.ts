import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ArrangeError } from "../../src/core/errors.js";
import type { ProgressEvent } from "../../src/core/progress.js";
import { createHttpEmbedder, embeddingsUrl, retryAfterMs } from "../../src/embed/backends/http.js";
import { embedAll } from "../../src/embed/embed-all.js";
import { createEmbedder } from "../../src/embed/registry.js";
import { type EmbeddingServer, serverVector, startEmbeddingServer, unit } from "./embedding-server.js";

const KEY = "sk-test-SECRET-1234567890";

async function rejection(p: Promise<unknown>): Promise<ArrangeError> {
  try {
    await p;
  } catch (e) {
    return e as ArrangeError;
  }
  throw new Error("expected a rejection");
}

function texts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `text number ${i} ${"x".repeat(i % 7)}`);
}

describe("http embedder", () => {
  let server: EmbeddingServer;
  beforeAll(async () => {
    server = await startEmbeddingServer({ dims: 12 });
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    // Answers abandoned by a client (timeouts) finish first, so in-flight counts start at 0.
    while (server.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    server.faults.length = 0;
    server.delayMs = 0;
    server.shuffle = false;
    server.requests = 0;
    server.maxInFlight = 0;
    server.answered.length = 0;
    server.received.length = 0;
    server.headers.length = 0;
    server.bodies.length = 0;
    server.times.length = 0;
  });

  const base = () => ({ endpoint: server.url, model: "test-model", backoffMs: 5, env: {} });

  it("resolves the endpoint: base URL, /v1 and full URLs", () => {
    expect(embeddingsUrl("http://h:8080").toString()).toBe("http://h:8080/v1/embeddings");
    expect(embeddingsUrl("http://h:8080/").toString()).toBe("http://h:8080/v1/embeddings");
    expect(embeddingsUrl("http://h/v1").toString()).toBe("http://h/v1/embeddings");
    expect(embeddingsUrl("https://h/openai/v1/embeddings").toString()).toBe("https://h/openai/v1/embeddings");
    expect(embeddingsUrl("http://h/api/embeddings/").toString()).toBe("http://h/api/embeddings");
    for (const bad of ["not a url", "ftp://h/", "http://user:pw@h/"]) {
      const e = (() => {
        try {
          embeddingsUrl(bad);
        } catch (err) {
          return err as ArrangeError;
        }
      })();
      expect(e?.code).toBe("usage");
      expect(e?.message).not.toContain("pw");
    }
  });

  it("parses Retry-After in seconds and as a date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs("soon")).toBeUndefined();
  });

  it("embeds in batches, places vectors by index, normalizes them, and records host and model in version", async () => {
    server.shuffle = true;
    const e = await createHttpEmbedder({ ...base(), batchSize: 4 });
    expect(e.id).toBe("http");
    expect(e.dims).toBe(12);
    expect(e.normalized).toBe(true);
    expect(e.version).toContain(new URL(server.url).host);
    expect(e.version).toContain("model=test-model");
    const t = texts(10);
    const r = await e.embed(t);
    expect(r.vectors.length).toBe(10 * 12);
    for (let i = 0; i < t.length; i++) {
      const want = unit(serverVector(t[i]!, 12));
      const got = r.vectors.subarray(i * 12, (i + 1) * 12);
      for (let d = 0; d < 12; d++) expect(got[d]).toBeCloseTo(want[d]!, 6);
    }
    // 1 probe + ceil(10 / 4) requests, each with at most 4 texts.
    expect(server.requests).toBe(4);
    expect(server.bodies.slice(1).map((b) => b.input?.length)).toEqual([4, 4, 2]);
    expect(server.bodies.every((b) => b.model === "test-model")).toBe(true);
  });

  it("gives blank texts the zero vector without sending them", async () => {
    const e = await createHttpEmbedder(base());
    const r = await e.embed(["a", "  ", "", "b"]);
    expect(server.bodies.at(-1)?.input).toEqual(["a", "b"]);
    expect(Array.from(r.vectors.subarray(12, 36)).every((x) => x === 0)).toBe(true);
    expect(r.vectors[0]).not.toBe(0);
  });

  it("sends the key as a Bearer token and never shows it", async () => {
    server.faults.push({ status: 401, body: `{"error":"Incorrect API key provided: ${KEY}"}` });
    const e = await rejection(createHttpEmbedder({ ...base(), apiKeyEnv: "MY_KEY", env: { MY_KEY: KEY } }));
    expect(server.headers[0]?.authorization).toBe(`Bearer ${KEY}`);
    expect(e.code).toBe("embedder");
    expect(e.message).toContain("HTTP 401");
    expect(e.message).toContain(server.url);
    expect(e.describe()).not.toContain(KEY);
    expect(e.describe()).toContain("***");
    expect(e.option).toBe("--api-key-env");
    expect(e.fix).toContain("MY_KEY");
    // A 401 is not retried.
    expect(server.requests).toBe(1);
    // With the key accepted, the version and everything else still never hold it.
    const ok = await createHttpEmbedder({ ...base(), apiKeyEnv: "MY_KEY", env: { MY_KEY: KEY } });
    expect(JSON.stringify({ v: ok.version, u: ok.url, id: ok.id })).not.toContain(KEY);
  });

  it("uses INSTRUCT_ARRANGE_API_KEY by default and sends no header without a key", async () => {
    await createHttpEmbedder({ ...base(), env: { INSTRUCT_ARRANGE_API_KEY: "k1", OPENAI_API_KEY: "k2" } });
    expect(server.headers.at(-1)?.authorization).toBe("Bearer k1");
    await createHttpEmbedder({ ...base(), env: { OPENAI_API_KEY: "k2" } });
    expect(server.headers.at(-1)?.authorization).toBeUndefined();
    const e = await rejection(createHttpEmbedder({ ...base(), apiKeyEnv: "ABSENT_KEY" }));
    expect(e.code).toBe("usage");
    expect(e.message).toContain("ABSENT_KEY");
  });

  it("retries 429 after the Retry-After delay and 500s with backoff, then succeeds", async () => {
    const events: ProgressEvent[] = [];
    const e2 = await createHttpEmbedder({ ...base(), batchSize: 100, onProgress: (ev) => events.push(ev) });
    server.requests = 0;
    server.times.length = 0;
    server.faults.push({ status: 429, retryAfter: "1" }, { status: 500 }, { status: 503 });
    const r = await e2.embed(["one", "two"]);
    expect(server.requests).toBe(4);
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(900);
    expect(r.vectors[0]).toBeCloseTo(unit(serverVector("one", 12))[0]!, 6);
    expect(events.filter((ev) => ev.message?.includes("retry")).length).toBe(3);
    expect(events[0]?.message).toContain("HTTP 429");
  });

  it("retries a request that takes longer than the timeout", async () => {
    const e = await createHttpEmbedder({ ...base(), timeout: 0.2 });
    server.requests = 0;
    server.faults.push({ delayMs: 1000 });
    const r = await e.embed(["slow"]);
    expect(server.requests).toBe(2);
    expect(r.vectors[0]).toBeCloseTo(unit(serverVector("slow", 12))[0]!, 6);
  });

  it("fails with a clear error when the service keeps failing", async () => {
    const e = await createHttpEmbedder({ ...base(), retries: 2 });
    server.requests = 0;
    server.faults.push(
      { status: 500, body: "model crashed" },
      { status: 502 },
      { status: 500, body: "model crashed" },
    );
    const err = await rejection(e.embed(["a"]));
    expect(server.requests).toBe(3);
    expect(err.code).toBe("embedder");
    expect(err.message).toContain(`${server.url}/v1/embeddings`);
    expect(err.message).toContain("after 3 attempts");
    expect(err.message).toContain("HTTP 500");
    expect(err.message).toContain("model crashed");
    expect(err.fix).toMatch(/--retries|--concurrency/);
  });

  it("does not retry a 400 and names the body", async () => {
    const e = await createHttpEmbedder(base());
    server.requests = 0;
    server.faults.push({ status: 400, body: '{"error":"input too long"}' });
    const err = await rejection(e.embed(["a"]));
    expect(server.requests).toBe(1);
    expect(err.message).toContain("HTTP 400");
    expect(err.message).toContain("input too long");
    expect(err.fix).toContain("--batch-size");
  });

  it("rejects vectors of the wrong size and a refused connection names the endpoint", async () => {
    const e = await createHttpEmbedder(base());
    server.faults.push({ dims: 5 });
    const err = await rejection(e.embed(["a", "b"]));
    expect(err.code).toBe("embedder");
    expect(err.message).toMatch(/5 dimensions, expected 12/);
    const down = await rejection(
      createHttpEmbedder({ endpoint: "http://127.0.0.1:9", model: "m", retries: 1, backoffMs: 1, env: {} }),
    );
    expect(down.code).toBe("embedder");
    expect(down.message).toContain("http://127.0.0.1:9/v1/embeddings");
    expect(down.message).toContain("after 2 attempts");
  });

  it("keeps at most --concurrency requests in flight", async () => {
    server.delayMs = 40;
    const e = await createHttpEmbedder({ ...base(), batchSize: 2, concurrency: 3 });
    server.maxInFlight = 0;
    await e.embed(texts(40));
    expect(server.maxInFlight).toBe(3);
    // Through embedAll as well (it keeps `concurrency` batches in flight).
    server.maxInFlight = 0;
    const r = await embedAll(e, texts(30), { batchSize: 2 });
    expect(server.maxInFlight).toBe(3);
    expect(r.matrix.rows).toBe(30);
    const t = texts(30);
    for (const i of [0, 7, 29])
      expect(r.matrix.data[i * 12]).toBeCloseTo(unit(serverVector(t[i]!, 12))[0]!, 6);
  });

  it("passes dimensions through and is built by the registry from EmbedderOptions", async () => {
    const e = await createEmbedder("http", {
      batchSize: 8,
      http: { endpoint: server.url, model: "m2", dimensions: 6, apiKeyEnv: undefined },
    });
    expect(e.dims).toBe(6);
    expect(e.version).toContain("dimensions=6");
    expect(server.bodies.at(-1)?.dimensions).toBe(6);
    const missing = await rejection(createEmbedder("http", {}));
    expect(missing.code).toBe("usage");
    expect(missing.option).toBe("--endpoint");
  });
});
