import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted answer, used for the next request instead of the normal one. */
export type Fault =
  | { status: number; retryAfter?: string; body?: string }
  | { delayMs: number }
  | { dims: number };

/**
 * A local OpenAI-compatible embeddings service for tests (POST /v1/embeddings on 127.0.0.1, random port).
 * The vector of a text is derived from its sha256 and deliberately not unit length. Faults are consumed one
 * per request; counters record what the client did.
 */
export interface EmbeddingServer {
  url: string;
  dims: number;
  /** Scripted answers for the next requests, in order. */
  faults: Fault[];
  /** Delay of every normal answer. */
  delayMs: number;
  /** Answer items in reverse order (the client must place them by `index`). */
  shuffle: boolean;
  /** Requests received (faulted ones included). */
  requests: number;
  /** Texts of every request that got a normal answer, in arrival order. */
  answered: string[];
  /** Texts of every request received. */
  received: string[];
  inFlight: number;
  maxInFlight: number;
  /** Headers of every request. */
  headers: IncomingHttpHeaders[];
  /** Request bodies (parsed). */
  bodies: { model?: string; input?: string[]; dimensions?: number }[];
  /** Arrival times (ms) of every request. */
  times: number[];
  close(): Promise<void>;
}

/** The vector the server gives `text` (dims values, unnormalized). */
export function serverVector(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  let block = createHash("sha256").update(text).digest();
  for (let d = 0; d < dims; d++) {
    if (d % 32 === 0 && d > 0) block = createHash("sha256").update(block).digest();
    v[d] = (block[d % 32]! - 127.5) / 10;
  }
  return v;
}

export function unit(v: Float32Array): Float32Array {
  let ss = 0;
  for (const x of v) ss += x * x;
  return v.map((x) => x / Math.sqrt(ss));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startEmbeddingServer(
  options: { dims?: number; delayMs?: number } = {},
): Promise<EmbeddingServer> {
  const state = {
    url: "",
    dims: options.dims ?? 8,
    faults: [] as Fault[],
    delayMs: options.delayMs ?? 0,
    shuffle: false,
    requests: 0,
    answered: [] as string[],
    received: [] as string[],
    inFlight: 0,
    maxInFlight: 0,
    headers: [] as IncomingHttpHeaders[],
    bodies: [] as EmbeddingServer["bodies"],
    times: [] as number[],
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        state.requests++;
        state.times.push(Date.now());
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        state.headers.push(req.headers);
        try {
          if (req.method !== "POST" || req.url !== "/v1/embeddings") {
            res.writeHead(404, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: `no route ${req.method} ${req.url}` }));
            return;
          }
          const body = JSON.parse(
            Buffer.concat(chunks).toString("utf8"),
          ) as EmbeddingServer["bodies"][number];
          state.bodies.push(body);
          const input = body.input ?? [];
          state.received.push(...input);
          const fault = state.faults.shift();
          let dims = body.dimensions ?? state.dims;
          if (fault !== undefined && "status" in fault) {
            const headers: Record<string, string> = { "content-type": "application/json" };
            if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
            res.writeHead(fault.status, headers);
            res.end(fault.body ?? JSON.stringify({ error: { message: `injected ${fault.status}` } }));
            return;
          }
          if (fault !== undefined && "delayMs" in fault) await sleep(fault.delayMs);
          if (fault !== undefined && "dims" in fault) dims = fault.dims;
          if (state.delayMs > 0) await sleep(state.delayMs);
          if (res.destroyed) return;
          const data = input.map((text, index) => ({
            object: "embedding",
            index,
            embedding: Array.from(serverVector(text, dims)),
          }));
          if (state.shuffle) data.reverse();
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ object: "list", data, model: body.model }));
          state.answered.push(...input);
        } finally {
          state.inFlight--;
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
