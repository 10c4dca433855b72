import { ArrangeError, usageError } from "./errors.js";
import { redactUrl, redactUrlText } from "./redact.js";

export { redactUrl, redactUrlsIn, redactUrlText } from "./redact.js";

/**
 * The JSON-over-HTTP plumbing shared by the OpenAI-compatible clients (`--embedder http`,
 * `--backend openai`): the API key from an environment variable (never echoed), one request with a
 * timeout, classification of failures (429, 408, 5xx, timeouts and network errors are worth a retry;
 * other 4xx are not), Retry-After parsing, retries with exponential backoff and jitter, and a bounded
 * number of requests in flight. Node's global fetch only.
 */

const MAX_BACKOFF_MS = 30_000;
const BODY_EXCERPT = 300;

/** One failed attempt: whether to retry, what to tell the user, how long the service asked us to wait. */
export interface Failure {
  retry: boolean;
  what: string;
  waitMs?: number;
  status?: number;
  fix: string;
}

export class RequestFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.what);
  }
}

/** The message of an error and of its cause. */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return `${e.message}${cause instanceof Error ? `: ${cause.message}` : ""}`;
  }
  return String(e);
}

/**
 * Parse an `--endpoint` and check it is an http(s) URL without credentials. `example` is the fix shown
 * for a text that is not a URL; `schemeFix` (optional) the one for another scheme.
 */
export function parseEndpoint(
  endpoint: string,
  defaultKeyEnv: string,
  example: string,
  schemeFix?: string,
): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw usageError(`--endpoint is not a URL: "${redactUrlText(endpoint)}"`, "--endpoint", example);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw usageError(
      `--endpoint must be an http:// or https:// URL, got ${url.protocol}`,
      "--endpoint",
      schemeFix,
    );
  if (url.username !== "" || url.password !== "")
    throw usageError(
      `--endpoint must not hold credentials (user:password@): ${redactUrl(url)}`,
      "--endpoint",
      `put the key in an environment variable and name it with --api-key-env (default ${defaultKeyEnv})`,
    );
  return url;
}

/**
 * The API key from `env[apiKeyEnv ?? defaultKeyEnv]` (undefined when unset or empty). Naming a variable
 * explicitly that is not set is a usage error; `peer` names the other side in the fix ("service").
 */
export function apiKeyFromEnv(
  apiKeyEnv: string | undefined,
  defaultKeyEnv: string,
  env: Record<string, string | undefined>,
  peer: string,
): { keyEnv: string; key: string | undefined; redact: (text: string) => string } {
  const keyEnv = apiKeyEnv ?? defaultKeyEnv;
  const rawKey = env[keyEnv];
  if (apiKeyEnv !== undefined && (rawKey === undefined || rawKey === ""))
    throw usageError(
      `--api-key-env ${keyEnv}: the environment variable ${keyEnv} is not set`,
      "--api-key-env",
      `export ${keyEnv}=... before running, or drop --api-key-env for a ${peer} without a key`,
    );
  const key = rawKey === undefined || rawKey === "" ? undefined : rawKey;
  return { keyEnv, key, redact: (text) => (key === undefined ? text : text.split(key).join("***")) };
}

/** Check an integer option. */
export function checkInt(value: number, min: number, option: string, example: string): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw usageError(
      `${option} must be an integer >= ${min}, got ${value}`,
      option,
      `pass e.g. ${option} ${example}`,
    );
  return value;
}

/** Check `--timeout` (seconds, positive). */
export function checkTimeout(timeout: number, example: number): number {
  if (!(timeout > 0) || !Number.isFinite(timeout))
    throw usageError(
      `--timeout must be a positive number of seconds, got ${timeout}`,
      "--timeout",
      `pass e.g. --timeout ${example}`,
    );
  return timeout;
}

export function sleep(ms: number): Promise<void> {
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

/** A bounded pool: at most `limit` of the functions passed to the result execute at once. */
export function semaphore(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
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

/** A connection refused or a host name that does not resolve, anywhere in the error's cause chain. */
export function refused(e: unknown): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND") return true;
    const errors = (c as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((x) => refused(x))) return true;
  }
  return false;
}

const isTimeout = (e: unknown) =>
  e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");

export interface JsonRequest {
  method: "GET" | "POST";
  url: URL;
  body?: unknown;
  key: string | undefined;
  /** Seconds. */
  timeout: number;
  redact: (text: string) => string;
  fixes: {
    timeout: string;
    unreachable: string;
    /** For an answer that fails while arriving; undefined: reported like a failed request. */
    read?: string;
    notJson: string;
    status: (status: number) => string;
  };
  /** Put the status text and an ellipsis for a cut body in HTTP error messages. */
  statusText?: boolean;
  /** Looks at a non-2xx answer first and may throw its own error (e.g. prompt too long). */
  onStatus?: (status: number, text: string, excerpt: string) => void;
}

/** One attempt: resolves to the parsed JSON body or throws RequestFailure. */
export async function requestJson(r: JsonRequest): Promise<unknown> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (r.body !== undefined) headers["content-type"] = "application/json";
  if (r.key !== undefined) headers.authorization = `Bearer ${r.key}`;
  const failed = (e: unknown): RequestFailure =>
    new RequestFailure({
      // Nothing listens at the address (or the name does not resolve): retrying only delays the error.
      retry: !refused(e),
      what: isTimeout(e) ? `no answer within ${r.timeout} s` : `request failed: ${r.redact(errorText(e))}`,
      fix: isTimeout(e) ? r.fixes.timeout : r.fixes.unreachable,
    });
  let response: Response;
  try {
    response = await fetch(r.url, {
      method: r.method,
      headers,
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
      signal: AbortSignal.timeout(r.timeout * 1000),
    });
  } catch (e) {
    throw failed(e);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    if (r.fixes.read === undefined) throw failed(e);
    throw new RequestFailure({
      retry: true,
      what: isTimeout(e)
        ? `the answer did not finish within ${r.timeout} s`
        : `reading the answer failed: ${r.redact(errorText(e))}`,
      fix: r.fixes.read,
    });
  }
  if (!response.ok) {
    const status = response.status;
    const excerpt = r.redact(text.slice(0, BODY_EXCERPT).replace(/\s+/g, " ").trim());
    r.onStatus?.(status, text, excerpt);
    const statusText = r.statusText === true && response.statusText ? ` ${response.statusText}` : "";
    const more = r.statusText === true && text.length > BODY_EXCERPT ? "…" : "";
    throw new RequestFailure({
      retry: status === 429 || status === 408 || status >= 500,
      status,
      waitMs:
        status === 429 || status === 503 ? retryAfterMs(response.headers.get("retry-after")) : undefined,
      what: `HTTP ${status}${statusText}${excerpt === "" ? "" : `: ${excerpt}${more}`}`,
      fix: r.fixes.status(status),
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestFailure({
      retry: false,
      what: `the answer is not JSON: ${r.redact(text.slice(0, BODY_EXCERPT))}`,
      fix: r.fixes.notJson,
    });
  }
}

export interface RetryPolicy {
  retries: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  /** Told before each wait (`tryNo` counts from 1). */
  onRetry?: (tryNo: number, waitMs: number, last: Failure) => void;
}

/**
 * Run `attempt` until it succeeds, fails for good or the retries are spent: retryable failures wait an
 * exponential backoff (base `backoffMs`, doubled each attempt, capped at 30 s, with jitter) or the
 * service's Retry-After (capped at `maxRetryAfterMs`). Throws the last RequestFailure; other errors pass
 * through at once.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  let last: RequestFailure | undefined;
  for (let tryNo = 0; tryNo <= policy.retries; tryNo++) {
    if (last !== undefined) {
      const backoff =
        Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** (tryNo - 1)) * (0.5 + Math.random() / 2);
      const f = last.failure;
      const wait = f.waitMs === undefined ? backoff : Math.min(policy.maxRetryAfterMs, f.waitMs);
      policy.onRetry?.(tryNo, wait, f);
      await sleep(wait);
    }
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof RequestFailure)) throw e;
      last = e;
      if (!e.failure.retry) break;
    }
  }
  throw last!;
}

/** The error for a request that failed for good: `<where> (model M) failed[ after N attempts]: what`. */
export function requestError(
  code: ConstructorParameters<typeof ArrangeError>[0],
  where: string,
  model: string,
  retries: number,
  f: Failure,
): ArrangeError {
  const tries = f.retry ? ` after ${retries + 1} attempts` : "";
  return new ArrangeError(code, `${where} (model ${model}) failed${tries}: ${f.what}`, {
    option: f.status === 401 || f.status === 403 ? "--api-key-env" : "--endpoint",
    fix: f.fix,
  });
}
