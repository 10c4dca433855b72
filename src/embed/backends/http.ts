import { ArrangeError, usageError } from "../../core/errors.js";
import type { ProgressSink } from "../../core/progress.js";
import type { Embedder, EmbedResult } from "../types.js";

/**
 * `http`: any service that speaks the OpenAI embeddings API (`POST /v1/embeddings` with
 * `{"model", "input": [texts]}`, answering `{"data": [{"index", "embedding"}]}`): Text Embeddings
 * Inference, vLLM, Ollama, OpenAI, or many GPU replicas behind one load balancer.
 *
 * - Texts are sent in requests of `batchSize`, at most `concurrency` requests in flight per embedder.
 * - 429, 408, 5xx, timeouts and network errors are retried up to `retries` times with exponential
 *   backoff (base `backoffMs`, doubled each attempt, with jitter, capped at 30 s); a `Retry-After`
 *   header on 429/503 sets the wait instead (capped at `maxRetryAfterMs`). Other 4xx fail at once.
 * - Vectors are placed by each item's `index` (services may reorder), checked (count, one size for all,
 *   finite values) and L2-normalized here, so cosine and Euclidean measures see unit vectors whatever the
 *   service does. Blank texts are not sent (services reject them) and get the zero vector.
 * - The API key is read from an environment variable and sent as `Authorization: Bearer`; it never appears
 *   in `version`, errors or progress (any echo of it in a response body is replaced by `***`).
 * - `create` sends one request with one short text to learn the vector size and to check the endpoint,
 *   model and key before any real work.
 */
export interface HttpEmbedderOptions {
  /**
   * Base URL (`http://host:8080`, `http://host:8080/v1`) or the full embeddings URL (ending in
   * `/embeddings`). A base URL gets `/v1/embeddings` appended (`/embeddings` when it ends in `/v1`).
   */
  endpoint?: string;
  /** Model name sent in every request. */
  model?: string;
  /** Environment variable holding the API key (default INSTRUCT_ARRANGE_API_KEY; no key: no header). */
  apiKeyEnv?: string;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Seconds before a request is abandoned and retried (default 60). */
  timeout?: number;
  /** Retries per request after the first attempt (default 5). */
  retries?: number;
  /** Ask the service for vectors of this size (`dimensions` in the request; OpenAI text-embedding-3, some TEI models). */
  dimensions?: number;
  /** First backoff delay in milliseconds (default 500). */
  backoffMs?: number;
  /** Longest Retry-After honoured, in milliseconds (default 60000). */
  maxRetryAfterMs?: number;
  /** Environment to read the key from (default process.env). */
  env?: Record<string, string | undefined>;
  onProgress?: ProgressSink;
}

export const HTTP_DEFAULTS = {
  apiKeyEnv: "INSTRUCT_ARRANGE_API_KEY",
  batchSize: 64,
  concurrency: 4,
  timeout: 60,
  retries: 5,
  backoffMs: 500,
  maxRetryAfterMs: 60_000,
} as const;

const MAX_BACKOFF_MS = 30_000;
const BODY_EXCERPT = 300;
const PROBE_TEXT = "dimension probe";

export interface HttpEmbedder extends Embedder {
  /** The embeddings URL without credentials. */
  readonly url: string;
  /** Requests sent so far (retries included). */
  readonly requests: number;
}

/** The embeddings URL for an endpoint as the user gave it (see `HttpEmbedderOptions.endpoint`). */
export function embeddingsUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw usageError(
      `--endpoint is not a URL: "${redactUrlText(endpoint)}"`,
      "--endpoint",
      "pass e.g. --endpoint http://127.0.0.1:8080 (or the full .../v1/embeddings URL)",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw usageError(
      `--endpoint must be an http:// or https:// URL, got ${url.protocol}`,
      "--endpoint",
      "pass e.g. --endpoint http://127.0.0.1:8080",
    );
  if (url.username !== "" || url.password !== "")
    throw usageError(
      "--endpoint must not hold credentials (user:password@)",
      "--endpoint",
      `put the key in an environment variable and name it with --api-key-env (default ${HTTP_DEFAULTS.apiKeyEnv})`,
    );
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith("/embeddings")
    ? path
    : path.endsWith("/v1")
      ? `${path}/embeddings`
      : `${path}/v1/embeddings`;
  return url;
}

/** Strip anything that looks like `user:pass@` from a string that failed to parse as a URL. */
function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/, "//***@");
}

function checkInt(value: number, min: number, option: string, example: string): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw usageError(
      `${option} must be an integer >= ${min}, got ${value}`,
      option,
      `pass e.g. ${option} ${example}`,
    );
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A bounded pool: at most `limit` of the functions passed to `run` execute at once. */
function semaphore(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    // A released slot passes straight to the next waiter, so no newcomer can slip in between.
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next === undefined) active--;
      else next();
    }
  };
}

/** One failed attempt: whether to retry, what to tell the user, how long the service asked us to wait. */
interface Failure {
  retry: boolean;
  what: string;
  waitMs?: number;
  status?: number;
  fix: string;
}

class RequestFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.what);
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return `${e.message}${detail}`;
  }
  return String(e);
}

function fixForStatus(status: number, keyEnv: string, hasKey: boolean, model: string): string {
  if (status === 401 || status === 403)
    return hasKey
      ? `check the API key in $${keyEnv} (or name another variable with --api-key-env)`
      : `the service wants a key: export it in $${keyEnv} or name its variable with --api-key-env`;
  if (status === 404)
    return `check --endpoint (the embeddings URL must end in /v1/embeddings or /embeddings) and that --model ${model} is served there`;
  if (status === 413) return "send fewer texts per request: lower --batch-size";
  if (status === 429) return "the service is rate limiting: lower --concurrency or raise --retries";
  if (status >= 500)
    return "the service keeps failing: check its logs, lower --concurrency or --batch-size, or raise --retries";
  return `check --model ${model} and the service's limits (input length, batch size: try a lower --batch-size)`;
}

/**
 * Parse one response body into `out` (rows in input order, `dims` each, unnormalized), checking the count,
 * the indices, the sizes and the values. Returns the vector size seen.
 */
function parseEmbeddings(
  body: unknown,
  count: number,
  dims: number | undefined,
  out: (i: number, v: Float32Array) => void,
): number {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error('the response has no "data" array');
  if (data.length !== count) throw new Error(`the response has ${data.length} embeddings for ${count} texts`);
  const seen = new Uint8Array(count);
  let size = dims;
  for (let k = 0; k < data.length; k++) {
    const item = data[k] as { index?: unknown; embedding?: unknown } | null;
    const index = item?.index === undefined ? k : item.index;
    if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= count)
      throw new Error(`item ${k} has index ${JSON.stringify(index)}, expected 0..${count - 1}`);
    const i = index as number;
    if (seen[i] === 1) throw new Error(`index ${i} appears twice`);
    seen[i] = 1;
    const v = toVector(item?.embedding, k);
    if (size === undefined) size = v.length;
    if (v.length !== size || v.length === 0)
      throw new Error(`embedding ${i} has ${v.length} dimensions, expected ${size}`);
    for (let d = 0; d < v.length; d++)
      if (!Number.isFinite(v[d]!)) throw new Error(`embedding ${i} has a non-finite value at dimension ${d}`);
    out(i, v);
  }
  return size ?? 0;
}

function toVector(embedding: unknown, k: number): Float32Array {
  if (Array.isArray(embedding)) {
    const v = new Float32Array(embedding.length);
    for (let d = 0; d < embedding.length; d++) {
      const x = embedding[d];
      if (typeof x !== "number")
        throw new Error(`embedding of item ${k} holds a non-number at dimension ${d}`);
      v[d] = x;
    }
    return v;
  }
  if (typeof embedding === "string") {
    // encoding_format "base64": little-endian float32.
    const bytes = Buffer.from(embedding, "base64");
    if (bytes.length % 4 !== 0)
      throw new Error(`base64 embedding of item ${k} is not a whole number of floats`);
    const v = new Float32Array(bytes.length / 4);
    for (let d = 0; d < v.length; d++) v[d] = bytes.readFloatLE(4 * d);
    return v;
  }
  throw new Error(`item ${k} has no "embedding" array`);
}

function writeNormalized(v: Float32Array, dst: Float32Array, at: number): void {
  let ss = 0;
  for (let d = 0; d < v.length; d++) ss += v[d]! * v[d]!;
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let d = 0; d < v.length; d++) dst[at + d] = v[d]! * inv;
}

export async function createHttpEmbedder(options: HttpEmbedderOptions): Promise<HttpEmbedder> {
  if (options.endpoint === undefined || options.endpoint === "")
    throw usageError(
      "--embedder http needs --endpoint",
      "--endpoint",
      "pass e.g. --endpoint http://127.0.0.1:8080 --model NAME",
    );
  if (options.model === undefined || options.model === "")
    throw usageError(
      "--embedder http needs --model",
      "--model",
      "pass the model name the service serves, e.g. --model BAAI/bge-small-en-v1.5",
    );
  const url = embeddingsUrl(options.endpoint);
  const model = options.model;
  const batchSize = checkInt(options.batchSize ?? HTTP_DEFAULTS.batchSize, 1, "--batch-size", "64");
  const concurrency = checkInt(options.concurrency ?? HTTP_DEFAULTS.concurrency, 1, "--concurrency", "4");
  const retries = checkInt(options.retries ?? HTTP_DEFAULTS.retries, 0, "--retries", "5");
  const timeout = options.timeout ?? HTTP_DEFAULTS.timeout;
  if (!(timeout > 0) || !Number.isFinite(timeout))
    throw usageError(
      `--timeout must be a positive number of seconds, got ${timeout}`,
      "--timeout",
      "pass e.g. --timeout 60",
    );
  const dimensions =
    options.dimensions === undefined ? undefined : checkInt(options.dimensions, 1, "--dimensions", "384");
  const backoffMs = options.backoffMs ?? HTTP_DEFAULTS.backoffMs;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? HTTP_DEFAULTS.maxRetryAfterMs;
  const keyEnv = options.apiKeyEnv ?? HTTP_DEFAULTS.apiKeyEnv;
  const env = options.env ?? process.env;
  const rawKey = env[keyEnv];
  if (options.apiKeyEnv !== undefined && (rawKey === undefined || rawKey === ""))
    throw usageError(
      `--api-key-env ${keyEnv}: the environment variable ${keyEnv} is not set`,
      "--api-key-env",
      `export ${keyEnv}=... before running, or drop --api-key-env for a service without a key`,
    );
  const key = rawKey === undefined || rawKey === "" ? undefined : rawKey;
  const display = url.toString();
  const run = semaphore(concurrency);
  const progress = options.onProgress;
  let requests = 0;

  const redact = (text: string): string => (key === undefined ? text : text.split(key).join("***"));

  /** One attempt; resolves to the parsed JSON body or throws RequestFailure. */
  async function attempt(texts: string[]): Promise<unknown> {
    const body: Record<string, unknown> = { model, input: texts };
    if (dimensions !== undefined) body.dimensions = dimensions;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
    };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    requests++;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeout * 1000),
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw new RequestFailure({
        retry: true,
        what: timedOut ? `no answer within ${timeout} s` : `request failed: ${redact(errorText(e))}`,
        fix: timedOut
          ? "raise --timeout, lower --batch-size, or check the service's load"
          : "check that the service is running and reachable at --endpoint",
      });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw new RequestFailure({
        retry: true,
        what: timedOut
          ? `the answer did not finish within ${timeout} s`
          : `reading the answer failed: ${redact(errorText(e))}`,
        fix: "raise --timeout or lower --batch-size",
      });
    }
    if (!response.ok) {
      const status = response.status;
      const retry = status === 429 || status === 408 || status >= 500;
      const excerpt = redact(text.slice(0, BODY_EXCERPT).replace(/\s+/g, " ").trim());
      throw new RequestFailure({
        retry,
        status,
        waitMs:
          status === 429 || status === 503 ? retryAfterMs(response.headers.get("retry-after")) : undefined,
        what: `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}${excerpt === "" ? "" : `: ${excerpt}${text.length > BODY_EXCERPT ? "…" : ""}`}`,
        fix: fixForStatus(status, keyEnv, key !== undefined, model),
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RequestFailure({
        retry: false,
        what: `the answer is not JSON: ${redact(text.slice(0, BODY_EXCERPT))}`,
        fix: "check that --endpoint is an OpenAI-compatible embeddings API (POST .../v1/embeddings)",
      });
    }
  }

  /** One request with retries; places the vectors through `out`. */
  async function request(
    texts: string[],
    out: (i: number, v: Float32Array) => void,
    dims: number | undefined,
  ): Promise<number> {
    let last: Failure | undefined;
    for (let tryNo = 0; tryNo <= retries; tryNo++) {
      if (last !== undefined) {
        const backoff = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** (tryNo - 1)) * (0.5 + Math.random() / 2);
        const wait = last.waitMs === undefined ? backoff : Math.min(maxRetryAfterMs, last.waitMs);
        progress?.({
          stage: "embed:http",
          done: tryNo,
          unit: "retries",
          message: `warning: ${display}: ${last.what}; retry ${tryNo} of ${retries} in ${(wait / 1000).toFixed(1)} s`,
        });
        await sleep(wait);
      }
      let body: unknown;
      try {
        body = await run(() => attempt(texts));
      } catch (e) {
        if (!(e instanceof RequestFailure)) throw e;
        last = e.failure;
        if (!last.retry) break;
        continue;
      }
      try {
        return parseEmbeddings(body, texts.length, dims, out);
      } catch (e) {
        throw new ArrangeError(
          "embedder",
          `${display}: unusable answer for ${texts.length} texts (model ${model}): ${redact(errorText(e))}`,
          {
            option: "--endpoint",
            fix: "check that the service is an OpenAI-compatible embeddings API and --model names an embedding model",
            cause: e,
          },
        );
      }
    }
    const f = last!;
    const tries = f.retry ? ` after ${retries + 1} attempts` : "";
    throw new ArrangeError("embedder", `${display} (model ${model}) failed${tries}: ${f.what}`, {
      option: f.status === 401 || f.status === 403 ? "--api-key-env" : "--endpoint",
      fix: f.fix,
    });
  }

  // Probe: learn the vector size, check endpoint, model and key.
  let probed = 0;
  await request(
    [PROBE_TEXT],
    (_, v) => {
      probed = v.length;
    },
    dimensions,
  );
  const dims = probed;
  const version = `http;host=${url.host};path=${url.pathname};model=${model}${dimensions === undefined ? "" : `;dimensions=${dimensions}`};l2`;

  return {
    id: "http",
    version,
    dims,
    normalized: true,
    concurrency,
    url: display,
    get requests(): number {
      return requests;
    },
    async embed(texts: string[]): Promise<EmbedResult> {
      const vectors = new Float32Array(texts.length * dims);
      const send: number[] = [];
      for (let i = 0; i < texts.length; i++) if (texts[i]!.trim() !== "") send.push(i);
      const jobs: Promise<number>[] = [];
      for (let b = 0; b < send.length; b += batchSize) {
        const where = send.slice(b, b + batchSize);
        jobs.push(
          request(
            where.map((i) => texts[i]!),
            (k, v) => writeNormalized(v, vectors, where[k]! * dims),
            dims,
          ),
        );
      }
      // Wait for all so no request outlives a failed call, then report the first failure.
      const settled = await Promise.allSettled(jobs);
      for (const s of settled) if (s.status === "rejected") throw s.reason;
      return { vectors, truncated: 0 };
    },
  };
}
