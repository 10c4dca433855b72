import { ArrangeError, usageError } from "../../core/errors.js";
import {
  apiKeyFromEnv,
  checkInt,
  checkTimeout,
  errorText,
  parseEndpoint,
  RequestFailure,
  requestError,
  requestJson,
  semaphore,
  withRetries,
} from "../../core/http-client.js";
import type { ProgressSink } from "../../core/progress.js";
import { hideSecrets, redactUrl, urlSecrets } from "../../core/redact.js";
import type { Embedder, EmbedResult } from "../types.js";

/**
 * `http`: any service that speaks the OpenAI embeddings API (`POST /v1/embeddings` with
 * `{"model", "input": [texts]}`, answering `{"data": [{"index", "embedding"}]}`): Text Embeddings
 * Inference, vLLM, Ollama, OpenAI, or many GPU replicas behind one load balancer.
 *
 * - Texts are sent in requests of `batchSize` (default 32: Text Embeddings Inference refuses more than its
 *   `--max-client-batch-size`, default 32, router/src/main.rs:80-82), at most `concurrency` requests in flight
 *   per embedder. A batch-size rejection (TEI: "batch size N > maximum allowed batch size M", HTTP 413 up to
 *   1.8 and 422 since its validation errors became UNPROCESSABLE_ENTITY, router/src/http/server.rs:1898)
 *   halves the batch for this and every later request, logged once.
 * - Long inputs: TEI's OpenAI route truncates only when the server runs with `--auto-truncate` (its default
 *   since 2026, router/src/main.rs:84-91; it reads no per-request option there, server.rs `openai_embed`).
 *   When TEI refuses an input as too long ("`inputs` must have less than N tokens",
 *   core/src/tokenization.rs:401) the embedder switches to TEI's own `POST /embed` route with
 *   `truncate: true` (router/src/http/types.rs `EmbedRequest`), logged once. Neither route says which
 *   inputs it cut, so `truncated` stays 0.
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
  /** Texts per request (default 32, halved when the service refuses the batch size). */
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

export { retryAfterMs } from "../../core/http-client.js";

export const HTTP_DEFAULTS = {
  apiKeyEnv: "INSTRUCT_ARRANGE_API_KEY",
  batchSize: 32,
  concurrency: 4,
  timeout: 60,
  retries: 5,
  backoffMs: 500,
  maxRetryAfterMs: 60_000,
} as const;

const PROBE_TEXT = "dimension probe";

export interface HttpEmbedder extends Embedder {
  /** The embeddings URL without credentials. */
  readonly url: string;
  /** Requests sent so far (retries included). */
  readonly requests: number;
}

/** The embeddings URL for an endpoint as the user gave it (see `HttpEmbedderOptions.endpoint`). */
export function embeddingsUrl(endpoint: string): URL {
  const url = parseEndpoint(
    endpoint,
    HTTP_DEFAULTS.apiKeyEnv,
    "pass e.g. --endpoint http://127.0.0.1:8080 (or the full .../v1/embeddings URL)",
    "pass e.g. --endpoint http://127.0.0.1:8080",
  );
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith("/embeddings")
    ? path
    : path.endsWith("/v1")
      ? `${path}/embeddings`
      : `${path}/v1/embeddings`;
  return url;
}

function fixForStatus(status: number, keyEnv: string, hasKey: boolean, model: string): string {
  if (status === 401 || status === 403)
    return hasKey
      ? `check the API key in $${keyEnv} (or name another variable with --api-key-env)`
      : `the service wants a key: export it in $${keyEnv} or name its variable with --api-key-env`;
  if (status === 404)
    return `check --endpoint (the embeddings URL must end in /v1/embeddings or /embeddings) and that --model ${model} is served there`;
  if (status === 413) return "send fewer texts per request: lower --batch-size, or shorten the texts";
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

/** The service refused the number of texts in one request. */
class BatchTooLarge extends Error {}
/** Text Embeddings Inference refused an input as longer than the model takes. */
class InputTooLong extends Error {}

const BATCH_REFUSED =
  /batch size \d+ > maximum allowed batch size|batch size.*(too large|exceed)|too many inputs/i;
const TEI_TOO_LONG = /must have less than \d+ (tokens|characters)/;

/** TEI's native route beside an OpenAI-style embeddings URL (`…/v1/embeddings` -> `…/embed`). */
function teiEmbedUrl(url: URL): URL {
  const native = new URL(url);
  native.pathname = url.pathname.replace(/(\/v1)?\/embeddings$/, "") + "/embed";
  return native;
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
  const batchSize = checkInt(options.batchSize ?? HTTP_DEFAULTS.batchSize, 1, "--batch-size", "32");
  const concurrency = checkInt(options.concurrency ?? HTTP_DEFAULTS.concurrency, 1, "--concurrency", "4");
  const retries = checkInt(options.retries ?? HTTP_DEFAULTS.retries, 0, "--retries", "5");
  const timeout = checkTimeout(options.timeout ?? HTTP_DEFAULTS.timeout, 60);
  const dimensions =
    options.dimensions === undefined ? undefined : checkInt(options.dimensions, 1, "--dimensions", "384");
  const backoffMs = options.backoffMs ?? HTTP_DEFAULTS.backoffMs;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? HTTP_DEFAULTS.maxRetryAfterMs;
  const {
    keyEnv,
    key,
    redact: redactKey,
  } = apiKeyFromEnv(options.apiKeyEnv, HTTP_DEFAULTS.apiKeyEnv, options.env ?? process.env, "service");
  const display = redactUrl(url);
  const secrets = urlSecrets(url);
  const redact = (text: string) => hideSecrets(redactKey(text), secrets);
  const run = semaphore(concurrency);
  const progress = options.onProgress;
  let requests = 0;
  /** Texts per request now: halved on each batch-size rejection. */
  let batch = batchSize;
  /** TEI refused a long input: use its native route, which truncates on request. */
  let native = false;
  const nativeUrl = teiEmbedUrl(url);
  const warned = new Set<string>();
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    progress?.({ stage: "embed:http", done: 0, unit: "texts", message: `warning: ${message}` });
  };

  /** One attempt; resolves to the parsed JSON body or throws RequestFailure. */
  async function attempt(texts: string[]): Promise<unknown> {
    const useNative = native;
    const body: Record<string, unknown> = useNative
      ? { inputs: texts, truncate: true, normalize: false }
      : { model, input: texts };
    if (dimensions !== undefined) body.dimensions = dimensions;
    requests++;
    const answer = await requestJson({
      method: "POST",
      url: useNative ? nativeUrl : url,
      body,
      onStatus: (status, text, excerpt) => {
        if (status >= 400 && status < 500 && BATCH_REFUSED.test(text) && texts.length > 1)
          throw new BatchTooLarge(excerpt);
        if (!useNative && (status === 413 || status === 422) && TEI_TOO_LONG.test(text))
          throw new InputTooLong(excerpt);
      },
      key,
      timeout,
      redact,
      statusText: true,
      fixes: {
        timeout: "raise --timeout, lower --batch-size, or check the service's load",
        unreachable: "check that the service is running and reachable at --endpoint",
        read: "raise --timeout or lower --batch-size",
        notJson: "check that --endpoint is an OpenAI-compatible embeddings API (POST .../v1/embeddings)",
        status: (status) => fixForStatus(status, keyEnv, key !== undefined, model),
      },
    });
    // TEI's /embed answers a bare list of vectors, in input order.
    return useNative && Array.isArray(answer)
      ? { data: answer.map((embedding, index) => ({ index, embedding })) }
      : answer;
  }

  /** One request with retries; places the vectors through `out`. */
  async function request(
    texts: string[],
    out: (i: number, v: Float32Array) => void,
    dims: number | undefined,
  ): Promise<number> {
    let body: unknown;
    try {
      body = await withRetries(
        {
          retries,
          backoffMs,
          maxRetryAfterMs,
          onRetry: (tryNo, wait, last) =>
            progress?.({
              stage: "embed:http",
              done: tryNo,
              unit: "retries",
              message: `warning: ${display}: ${last.what}; retry ${tryNo} of ${retries} in ${(wait / 1000).toFixed(1)} s`,
            }),
        },
        () => run(() => attempt(texts)),
      );
    } catch (e) {
      if (e instanceof RequestFailure) throw requestError("embedder", display, model, retries, e.failure);
      if (e instanceof InputTooLong && !native) {
        native = true;
        warnOnce(
          "truncate",
          `${display}: the service refused an input as too long (${e.message}); sending to ${nativeUrl.toString()} with truncate: true from now on`,
        );
        return request(texts, out, dims);
      }
      throw e;
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
      const chunk = async (where: number[]): Promise<void> => {
        try {
          await request(
            where.map((i) => texts[i]!),
            (k, v) => writeNormalized(v, vectors, where[k]! * dims),
            dims,
          );
        } catch (e) {
          if (!(e instanceof BatchTooLarge)) throw e;
          const half = Math.max(1, Math.floor(where.length / 2));
          if (half < batch) {
            batch = half;
            warnOnce(
              "batch",
              `${display}: the service refused ${where.length} texts per request (${e.message}); sending ${batch} per request from now on (pass --batch-size ${batch} to start there)`,
            );
          }
          const parts: Promise<void>[] = [];
          for (let b = 0; b < where.length; b += batch) parts.push(chunk(where.slice(b, b + batch)));
          const settled = await Promise.allSettled(parts);
          for (const s of settled) if (s.status === "rejected") throw s.reason;
        }
      };
      const jobs: Promise<void>[] = [];
      for (let b = 0; b < send.length; b += batch) jobs.push(chunk(send.slice(b, b + batch)));
      // Wait for all so no request outlives a failed call, then report the first failure.
      const settled = await Promise.allSettled(jobs);
      for (const s of settled) if (s.status === "rejected") throw s.reason;
      return { vectors, truncated: 0 };
    },
  };
}
