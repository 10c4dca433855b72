import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { createHttpEmbedder, HTTP_DEFAULTS } from "../../src/embed/backends/http.js";
import { serverVector, unit } from "./embedding-server.js";

/**
 * A stand-in for Text Embeddings Inference's HTTP router as its source behaves: at most `maxBatch` inputs per
 * request ("batch size N > maximum allowed batch size M", HTTP 413 up to 1.8, 422 from 1.9), inputs longer
 * than `maxLength` characters refused on the OpenAI route unless `autoTruncate`, and the native `/embed`
 * route that truncates when asked (`truncate: true`) and answers a bare list of vectors.
 */
async function startTei(o: {
  maxBatch: number;
  status: 413 | 422;
  maxLength: number;
  autoTruncate: boolean;
}) {
  const seen = { sizes: [] as number[], routes: [] as string[] };
  const cut = (t: string) => (t.length > o.maxLength ? t.slice(0, o.maxLength) : t);
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const body = JSON.parse(raw) as { input?: string[]; inputs?: string[]; truncate?: boolean };
      const inputs = body.input ?? body.inputs ?? [];
      seen.routes.push(req.url!);
      seen.sizes.push(inputs.length);
      if (inputs.length > o.maxBatch)
        return reply(o.status, {
          error: `batch size ${inputs.length} > maximum allowed batch size ${o.maxBatch}`,
          error_type: "validation",
        });
      const truncate = req.url === "/embed" ? body.truncate === true : o.autoTruncate;
      const long = inputs.find((t) => t.length > o.maxLength);
      if (long !== undefined && !truncate)
        return reply(o.status, {
          error: `Input validation error: \`inputs\` must have less than ${o.maxLength} tokens. Given: ${long.length}`,
          error_type: "validation",
        });
      const vectors = inputs.map((t) => Array.from(serverVector(cut(t), 6)));
      if (req.url === "/embed") return reply(200, vectors);
      if (req.url === "/v1/embeddings")
        return reply(200, {
          object: "list",
          data: vectors.map((embedding, index) => ({ index, embedding })),
        });
      reply(404, { error: "no route" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    cut,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const texts = (n: number) => Array.from({ length: n }, (_, i) => `sentence ${i}`);
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

describe("http embedder against Text Embeddings Inference's defaults", () => {
  it("sends at most 32 texts per request by default (TEI's --max-client-batch-size)", async () => {
    const tei = await startTei({ maxBatch: 32, status: 422, maxLength: 100, autoTruncate: true });
    closers.push(tei.close);
    expect(HTTP_DEFAULTS.batchSize).toBe(32);
    const e = await createHttpEmbedder({ endpoint: tei.url, model: "bge", env: {}, retries: 0 });
    const xs = texts(70);
    const { vectors } = await e.embed(xs);
    expect(Math.max(...tei.seen.sizes)).toBe(32);
    expect(Array.from(vectors.subarray(6 * 69, 6 * 70))).toEqual(Array.from(unit(serverVector(xs[69]!, 6))));
  });

  it.each([413, 422] as const)(
    "halves the batch on a batch-size rejection (HTTP %i), warning once",
    async (status) => {
      const tei = await startTei({ maxBatch: 10, status, maxLength: 100, autoTruncate: true });
      closers.push(tei.close);
      const events: ProgressEvent[] = [];
      const e = await createHttpEmbedder({
        endpoint: tei.url,
        model: "bge",
        env: {},
        retries: 0,
        batchSize: 40,
        onProgress: (ev) => events.push(ev),
      });
      const xs = texts(90);
      const { vectors } = await e.embed(xs);
      for (let i = 0; i < xs.length; i++)
        expect(Array.from(vectors.subarray(6 * i, 6 * i + 6))).toEqual(
          Array.from(unit(serverVector(xs[i]!, 6))),
        );
      const warnings = events.filter((ev) => /refused \d+ texts per request/.test(ev.message ?? ""));
      expect(warnings.length).toBe(1);
      // After the halving (40 -> 20 -> 10) every request fits.
      const after = tei.seen.sizes.slice(tei.seen.sizes.lastIndexOf(20) + 1);
      expect(after.every((n) => n <= 10)).toBe(true);
    },
  );

  it("switches to TEI's /embed with truncate: true when the server refuses a long input", async () => {
    const tei = await startTei({ maxBatch: 32, status: 422, maxLength: 20, autoTruncate: false });
    closers.push(tei.close);
    const events: ProgressEvent[] = [];
    const e = await createHttpEmbedder({
      endpoint: tei.url,
      model: "bge",
      env: {},
      retries: 0,
      onProgress: (ev) => events.push(ev),
    });
    const xs = ["short one", "a much longer sentence that the model cannot take whole", "short two"];
    const { vectors } = await e.embed(xs);
    for (let i = 0; i < xs.length; i++)
      expect(Array.from(vectors.subarray(6 * i, 6 * i + 6))).toEqual(
        Array.from(unit(serverVector(tei.cut(xs[i]!), 6))),
      );
    expect(tei.seen.routes.at(-1)).toBe("/embed");
    expect(events.filter((ev) => /truncate: true/.test(ev.message ?? "")).length).toBe(1);
  });
});
