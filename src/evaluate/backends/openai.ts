import { ArrangeError, usageError } from "../../core/errors.js";
import {
  apiKeyFromEnv,
  checkInt as checkIntOption,
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
import { promptText } from "../template.js";
import type { EvalBackend, EvalExample, ExampleScore } from "./types.js";

/**
 * `openai`: a model behind an OpenAI-compatible completions server that echoes prompt log-probabilities
 * (vLLM: `POST /v1/completions` with `echo: true`, `logprobs: 1`), the path for models too large for one
 * machine.
 *
 * Tokens, not characters: every example is tokenized by the server (`POST /tokenize`, vLLM's
 * `TokenizeCompletionRequest` {model, prompt, add_special_tokens}) twice, the prompt text alone and the
 * prompt + answer (+ `eosText`), both with the tokenizer's special tokens (BOS). The answer starts at the
 * prompt's token count (the length of the common prefix of the two, so a token the tokenizer merges across
 * the boundary counts as an answer token), and the scoring request sends the token ids themselves
 * (`prompt: [[ids...], ...]`), so the server scores exactly those tokens and the boundary never depends on
 * `text_offset`. (vLLM builds `text_offset` by adding up the lengths of per-token decoded strings,
 * `_create_completion_logprobs` in vllm/entrypoints/openai/completion/serving.py; a SentencePiece
 * tokenizer's decode of one token drops its leading space, so character offsets drift left of the text.)
 * `max_tokens` = `echoMaxTokens` (default 1; current vLLM also accepts 0 with echo, see
 * `echo_without_generation` in vllm/entrypoints/openai/completion/protocol.py, older servers may not); the
 * generated entries at the end of each choice are dropped. The loss of an answer token is minus its
 * log-probability (nats).
 *
 * Truncation is on token ids: when an example is longer than `maxLength` tokens the first prompt tokens
 * after the special prefix (the tokens of `tokenize("")`, e.g. BOS) are dropped, never the answer; an
 * example whose prefix + answer cannot fit with one position before the answer is unfit. When the server
 * still answers 400 for a context-length reason, half of the remaining prompt is dropped and the example
 * is sent again (at most 6 rounds).
 *
 * Requests carry up to `batchSize` prompts; at most `concurrency` are in flight; 429, 408, 5xx, timeouts
 * and network errors other than a refused connection are retried with exponential backoff (Retry-After
 * honoured); a refused connection fails at once. The key is read from the environment variable
 * `apiKeyEnv` and never appears in messages.
 */
export interface OpenAIBackendOptions {
  endpoint: string;
  model: string;
  /** Environment variable holding the API key (default INSTRUCT_ARRANGE_API_KEY; unset: no header). */
  apiKeyEnv?: string;
  /** Tokens per example; default the server's `max_model_len` (GET /v1/models) minus `echoMaxTokens`. */
  maxLength?: number;
  /** Text appended to the answer for the end of sequence, e.g. "</s>" (default "": EOS not scored). */
  eosText?: string;
  /** `max_tokens` of scoring requests (default 1). */
  echoMaxTokens?: number;
  batchSize?: number;
  concurrency?: number;
  /** Seconds per request (default 120). */
  timeout?: number;
  retries?: number;
  backoffMs?: number;
  maxRetryAfterMs?: number;
  env?: Record<string, string | undefined>;
  onProgress?: ProgressSink;
}

export const OPENAI_DEFAULTS = {
  apiKeyEnv: "INSTRUCT_ARRANGE_API_KEY",
  batchSize: 16,
  concurrency: 4,
  timeout: 120,
  retries: 5,
  backoffMs: 500,
  maxRetryAfterMs: 60_000,
  echoMaxTokens: 1,
} as const;

const MAX_ROUNDS = 6;

/** The completions URL, the models URL and the tokenize URL (vLLM serves it at the root) for an endpoint as the user gave it. */
export function completionsUrl(endpoint: string): { completions: URL; models: URL; tokenize: URL } {
  const url = parseEndpoint(
    endpoint,
    OPENAI_DEFAULTS.apiKeyEnv,
    "pass e.g. --endpoint http://127.0.0.1:8000 (or the full .../v1/completions URL)",
  );
  const path = url.pathname.replace(/\/+$/, "");
  const base = path.endsWith("/completions")
    ? path.slice(0, -"/completions".length)
    : path.endsWith("/v1")
      ? path
      : `${path}/v1`;
  const completions = new URL(url);
  completions.pathname = `${base}/completions`;
  const models = new URL(url);
  models.pathname = `${base}/models`;
  const tokenize = new URL(url);
  tokenize.pathname = `${base.replace(/\/v1$/, "")}/tokenize`;
  return { completions, models, tokenize };
}

function checkInt(value: number, min: number, option: string): number {
  return checkIntOption(value, min, option, String(Math.max(min, 1)));
}

/** The server refused the request because a prompt is too long for its context (HTTP 400). */
class TooLong extends Error {}

/** Length of the common prefix of two id lists. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k;
}

interface Logprobs {
  tokens: string[];
  logprobs: (number | null)[];
}

function parseChoices(body: unknown, count: number): { text: string; logprobs: Logprobs | null }[] {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) throw new Error('the response has no "choices" array');
  if (choices.length !== count)
    throw new Error(`the response has ${choices.length} choices for ${count} prompts`);
  const out: { text: string; logprobs: Logprobs | null }[] = new Array(count);
  choices.forEach((c: unknown, k: number) => {
    const choice = c as { index?: unknown; text?: unknown; logprobs?: unknown } | null;
    const index = choice?.index === undefined ? k : choice.index;
    if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= count)
      throw new Error(`choice ${k} has index ${JSON.stringify(index)}`);
    if (out[index as number] !== undefined) throw new Error(`index ${index} appears twice`);
    if (typeof choice?.text !== "string") throw new Error(`choice ${k} has no "text"`);
    let logprobs: Logprobs | null = null;
    const lp = choice.logprobs as { tokens?: unknown; token_logprobs?: unknown } | null;
    if (lp !== null && lp !== undefined) {
      const { tokens, token_logprobs: tl } = lp;
      if (!Array.isArray(tokens) || !Array.isArray(tl))
        throw new Error(`choice ${k}: logprobs needs tokens and token_logprobs`);
      if (tl.length !== tokens.length)
        throw new Error(`choice ${k}: tokens and token_logprobs differ in length`);
      for (let j = 0; j < tl.length; j++) {
        if (tl[j] !== null && (typeof tl[j] !== "number" || !Number.isFinite(tl[j]) || tl[j] > 1e-6))
          throw new Error(
            `choice ${k}: token_logprobs[${j}] = ${JSON.stringify(tl[j])} is not a log-probability`,
          );
      }
      logprobs = { tokens: tokens as string[], logprobs: tl as (number | null)[] };
    }
    out[index as number] = { text: choice.text, logprobs };
  });
  return out;
}

/** One example, tokenized by the server. */
interface Tokenized {
  /** Special tokens in front (BOS), kept when the prompt is cut. */
  prefix: number;
  /** Prompt token ids after the prefix. */
  prompt: number[];
  /** Answer (+ EOS text) token ids. */
  answer: number[];
  /** The prompt alone as the server tokenizes it (prefix included), for generation. */
  promptIds: number[];
  /** The ids the prefix consists of. */
  prefixIds: number[];
}

/** Per example state across scoring rounds. */
interface Pending {
  i: number;
  tok: Tokenized;
  /** Prompt tokens cut from the left. */
  cut: number;
  result?: ExampleScore;
}

/** The options of a backend, checked, with the URLs, the key and the redaction of messages. */
interface OpenAISettings {
  completions: URL;
  models: URL;
  tokenize: URL;
  endpoint: string;
  model: string;
  batchSize: number;
  concurrency: number;
  retries: number;
  echoMaxTokens: number;
  timeout: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  eosText: string;
  keyEnv: string;
  key: string | undefined;
  /** The completions URL as messages show it (credentials hidden). */
  display: string;
  /** Hide the key and the URL's credentials in a text. */
  redact: (text: string) => string;
  progress: ProgressSink | undefined;
}

function resolveOpenAISettings(options: OpenAIBackendOptions): OpenAISettings {
  if (options.endpoint === undefined || options.endpoint === "")
    throw usageError(
      "--backend openai needs --endpoint",
      "--endpoint",
      "pass e.g. --endpoint http://127.0.0.1:8000 --model NAME",
    );
  if (options.model === undefined || options.model === "")
    throw usageError(
      "--backend openai needs --model",
      "--model",
      "pass the model name the server serves (GET /v1/models lists them)",
    );
  const { completions, models, tokenize } = completionsUrl(options.endpoint);
  const batchSize = checkInt(options.batchSize ?? OPENAI_DEFAULTS.batchSize, 1, "--eval-batch-size");
  const concurrency = checkInt(options.concurrency ?? OPENAI_DEFAULTS.concurrency, 1, "--concurrency");
  const retries = checkInt(options.retries ?? OPENAI_DEFAULTS.retries, 0, "--retries");
  const echoMaxTokens = checkInt(
    options.echoMaxTokens ?? OPENAI_DEFAULTS.echoMaxTokens,
    0,
    "--echo-max-tokens",
  );
  const timeout = checkTimeout(options.timeout ?? OPENAI_DEFAULTS.timeout, 120);
  const {
    keyEnv,
    key,
    redact: redactKey,
  } = apiKeyFromEnv(options.apiKeyEnv, OPENAI_DEFAULTS.apiKeyEnv, options.env ?? process.env, "server");
  const secrets = urlSecrets(completions);
  return {
    completions,
    models,
    tokenize,
    endpoint: options.endpoint,
    model: options.model,
    batchSize,
    concurrency,
    retries,
    echoMaxTokens,
    timeout,
    backoffMs: options.backoffMs ?? OPENAI_DEFAULTS.backoffMs,
    maxRetryAfterMs: options.maxRetryAfterMs ?? OPENAI_DEFAULTS.maxRetryAfterMs,
    eosText: options.eosText ?? "",
    keyEnv,
    key,
    display: redactUrl(completions),
    redact: (text: string) => hideSecrets(redactKey(text), secrets),
    progress: options.onProgress,
  };
}

/** The fix of a failed request, by HTTP status and URL. */
function fixForStatus(s: OpenAISettings, status: number, url: URL): string {
  if (status === 401 || status === 403)
    return s.key !== undefined
      ? `check the API key in $${s.keyEnv} (or name another variable with --api-key-env)`
      : `the server wants a key: export it in $${s.keyEnv} or name its variable with --api-key-env`;
  if (status === 404 && url === s.tokenize)
    return "the server must offer POST /tokenize (vLLM does) so prompts can be sent and scored as token ids";
  if (status === 404)
    return `check --endpoint (a completions API at .../v1/completions) and that --model ${s.model} is served there`;
  if (status === 429) return "the server is rate limiting: lower --concurrency or raise --retries";
  if (status >= 500)
    return "the server keeps failing: check its logs, lower --concurrency or --eval-batch-size, or raise --retries";
  return `check that the server supports echo with logprobs and token-id prompts (vLLM does) and --model ${s.model}; try a lower --eval-batch-size`;
}

/** JSON requests to the server: at most `concurrency` in flight, retried, counted. */
interface OpenAIClient {
  /** One request with retries; throws TooLong at once, ArrangeError after the retries. Messages name `url`. */
  request(method: "GET" | "POST", url: URL, body?: unknown): Promise<unknown>;
  /** HTTP requests sent so far, retries included. */
  readonly requests: number;
}

function createClient(s: OpenAISettings): OpenAIClient {
  let requests = 0;
  const slot = semaphore(s.concurrency);
  function attempt(method: "GET" | "POST", url: URL, body?: unknown): Promise<unknown> {
    requests++;
    return requestJson({
      method,
      url,
      body,
      key: s.key,
      timeout: s.timeout,
      redact: s.redact,
      fixes: {
        timeout: "raise --timeout or lower --eval-batch-size, or check the server's load",
        unreachable:
          "check that the server is running and reachable at --endpoint (e.g. vllm serve MODEL --port 8000)",
        notJson: "check that --endpoint is an OpenAI-compatible completions API",
        status: (status) => fixForStatus(s, status, url),
      },
      onStatus: (status, text, excerpt) => {
        if (status === 400 && /context|too long|maximum.*length|max_model_len|exceed/i.test(text))
          throw new TooLong(excerpt);
      },
    });
  }
  return {
    get requests() {
      return requests;
    },
    async request(method, url, body) {
      const where = url.toString();
      try {
        return await withRetries(
          {
            retries: s.retries,
            backoffMs: s.backoffMs,
            maxRetryAfterMs: s.maxRetryAfterMs,
            onRetry: (tryNo, wait, last) =>
              s.progress?.({
                stage: "evaluate:openai",
                done: tryNo,
                unit: "retries",
                message: `warning: ${where}: ${last.what}; retry ${tryNo} of ${s.retries} in ${(wait / 1000).toFixed(1)} s`,
              }),
          },
          () => slot(() => attempt(method, url, body)),
        );
      } catch (e) {
        if (e instanceof RequestFailure)
          throw requestError("service", redactUrl(where), s.model, s.retries, e.failure);
        throw e;
      }
    },
  };
}

/** The server's context (vLLM's /v1/models lists max_model_len), and a check that it answers at all. */
async function readServerContext(s: OpenAISettings, client: OpenAIClient): Promise<number | null> {
  try {
    const listed = (await client.request("GET", s.models)) as { data?: unknown };
    if (!Array.isArray(listed?.data)) return null;
    const entry = listed.data.find((m: { id?: unknown }) => m?.id === s.model) as
      | { max_model_len?: unknown }
      | undefined;
    if (entry === undefined && listed.data.length > 0)
      throw usageError(
        `--model ${s.model} is not served at ${s.endpoint} (it serves ${listed.data.map((m: { id?: unknown }) => String(m?.id)).join(", ")})`,
        "--model",
        "pass one of the served model names",
      );
    if (typeof entry?.max_model_len === "number" && Number.isSafeInteger(entry.max_model_len))
      return entry.max_model_len;
    return null;
  } catch (e) {
    // A server without /v1/models (404) is fine; one that does not answer is not.
    if (e instanceof ArrangeError && /HTTP 40[45]/.test(e.message)) return null;
    throw e;
  }
}

/** Tokens per example: --max-length, else the server's context minus the echo tokens; checked against it. */
function resolveMaxLength(
  maxLengthOption: number | undefined,
  serverContext: number | null,
  echoMaxTokens: number,
): number | null {
  const maxLength =
    maxLengthOption !== undefined
      ? checkInt(maxLengthOption, 2, "--max-length")
      : serverContext === null
        ? null
        : serverContext - echoMaxTokens;
  if (maxLength !== null && serverContext !== null && maxLength + echoMaxTokens > serverContext)
    throw usageError(
      `--max-length ${maxLength} + ${echoMaxTokens} echo token(s) is more than the server's context of ${serverContext} tokens`,
      "--max-length",
      `pass --max-length ${serverContext - echoMaxTokens} or less`,
    );
  return maxLength;
}

/** Examples tokenized by the server's POST /tokenize, each (prompt, tail) pair once. */
function createTokenizer(s: OpenAISettings, client: OpenAIClient) {
  /** The server's token ids of a text (special tokens included). */
  async function tokenizeText(text: string): Promise<number[]> {
    const body = (await client.request("POST", s.tokenize, {
      model: s.model,
      prompt: text,
      add_special_tokens: true,
    })) as {
      tokens?: unknown;
    } | null;
    const ids = body?.tokens;
    if (!Array.isArray(ids) || !ids.every((t) => Number.isSafeInteger(t) && (t as number) >= 0))
      throw new ArrangeError(
        "service",
        `${s.tokenize.toString()}: the answer has no "tokens" list of token ids`,
        {
          option: "--endpoint",
          fix: "the server's POST /tokenize must answer {tokens: [ids]} (vLLM's does)",
        },
      );
    return ids as number[];
  }

  let prefixIds: Promise<number[]> | undefined;
  const tokenized = new Map<string, Promise<Tokenized>>();

  /** Prompt and prompt + answer tokenized by the server; the boundary is the prompt's token count. */
  function tokenizeExample(prompt: string, tail: string): Promise<Tokenized> {
    const k = JSON.stringify([prompt, tail]);
    let t = tokenized.get(k);
    if (t === undefined) {
      t = (async () => {
        prefixIds ??= tokenizeText("");
        const [pre, promptIds, fullIds] = await Promise.all([
          prefixIds,
          tokenizeText(prompt),
          tail === "" ? Promise.resolve(null) : tokenizeText(prompt + tail),
        ]);
        const full = fullIds ?? promptIds;
        const prefix = commonPrefix(pre, full) === pre.length ? pre.length : 0;
        const boundary = Math.max(prefix, commonPrefix(promptIds, full));
        return {
          prefix,
          prefixIds: full.slice(0, prefix),
          prompt: full.slice(prefix, boundary),
          answer: full.slice(boundary),
          promptIds,
        };
      })();
      tokenized.set(k, t);
    }
    return t;
  }

  /** Every example tokenized by the server (requests bounded by the concurrency slot). */
  return (examples: readonly EvalExample[], withAnswer: boolean): Promise<Tokenized[]> =>
    Promise.all(
      examples.map((x) => tokenizeExample(promptText(x.instruction), withAnswer ? x.answer + s.eosText : "")),
    );
}

function unfitScore(p: Pending): ExampleScore {
  return { task: "", lossSum: null, tokens: 0, unfit: true, truncated: p.cut > 0 };
}

/** The ids sent to score an example (its prompt cut from the left to fit), or null when it cannot fit. */
function scoringIds(p: Pending, maxLength: number | null): number[] | null {
  const { prefixIds: pre, prompt, answer } = p.tok;
  if (answer.length === 0) return null;
  if (maxLength !== null) {
    const room = maxLength - pre.length - answer.length;
    if (room < 0 || (room === 0 && pre.length === 0)) return null;
    p.cut = Math.max(p.cut, prompt.length - room);
  }
  if (p.cut > prompt.length) return null;
  if (p.cut === prompt.length && pre.length === 0) return null;
  return [...pre, ...prompt.slice(p.cut), ...answer];
}

/** The answer-token loss of every scored prompt from the echoed log-probabilities. */
function readAnswerLosses(s: OpenAISettings, body: unknown, sent: { p: Pending; ids: number[] }[]): void {
  try {
    const choices = parseChoices(body, sent.length);
    for (let k = 0; k < sent.length; k++) {
      const { p, ids } = sent[k]!;
      const lp = choices[k]!.logprobs;
      if (lp === null) throw new Error("a choice has no logprobs (the server ignored echo/logprobs)");
      if (lp.logprobs.length < ids.length)
        throw new Error(
          `a choice echoes ${lp.logprobs.length} tokens for a prompt of ${ids.length} token ids`,
        );
      const start = ids.length - p.tok.answer.length;
      let sum = 0;
      let ok = true;
      for (let j = start; j < ids.length; j++) {
        const v = lp.logprobs[j];
        if (v === null || v === undefined) ok = false;
        else sum -= v;
      }
      p.result = ok
        ? { task: "", lossSum: sum, tokens: p.tok.answer.length, unfit: false, truncated: p.cut > 0 }
        : unfitScore(p);
    }
  } catch (e) {
    throw new ArrangeError(
      "service",
      `${s.display}: unusable answer for ${sent.length} prompts (model ${s.model}): ${s.redact(errorText(e))}`,
      {
        option: "--endpoint",
        fix: "the server must return prompt log-probabilities for echo: true with logprobs and token-id prompts (vLLM's completions API does)",
        cause: e,
      },
    );
  }
}

/**
 * Score one batch: one request with every example that fits; a batch the server finds too long is
 * split into single examples, a single one loses half of the prompt left (scored in the next round).
 */
async function scoreBatch(
  s: OpenAISettings,
  client: OpenAIClient,
  maxLength: number | null,
  batch: Pending[],
): Promise<void> {
  const sent: { p: Pending; ids: number[] }[] = [];
  for (const p of batch) {
    const ids = scoringIds(p, maxLength);
    if (ids === null) p.result = unfitScore(p);
    else sent.push({ p, ids });
  }
  if (sent.length === 0) return;
  let body: unknown;
  try {
    body = await client.request("POST", s.completions, {
      model: s.model,
      prompt: sent.map((x) => x.ids),
      echo: true,
      logprobs: 1,
      max_tokens: s.echoMaxTokens,
      temperature: 0,
    });
  } catch (e) {
    if (!(e instanceof TooLong)) throw e;
    if (sent.length > 1) {
      await Promise.all(sent.map((x) => scoreBatch(s, client, maxLength, [x.p])));
      return;
    }
    // The server's context is smaller than we know: drop half of the prompt that is left.
    const p = sent[0]!.p;
    const left = p.tok.prompt.length - p.cut;
    if (left === 0) p.result = unfitScore(p);
    else p.cut += Math.max(1, Math.ceil(left / 2));
    return;
  }
  readAnswerLosses(s, body, sent);
}

/** Every example scored in batches, in rounds until each has a result (at most MAX_ROUNDS). */
async function scoreExamples(
  s: OpenAISettings,
  client: OpenAIClient,
  maxLength: number | null,
  examples: readonly EvalExample[],
  toks: Tokenized[],
  onProgress?: ProgressSink,
): Promise<ExampleScore[]> {
  const all: Pending[] = toks.map((tok, i) => ({ i, tok, cut: 0 }));
  let done = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pending = all.filter((p) => p.result === undefined);
    if (pending.length === 0) break;
    const jobs: Promise<void>[] = [];
    for (let b = 0; b < pending.length; b += s.batchSize) {
      const batch = pending.slice(b, b + s.batchSize);
      jobs.push(
        scoreBatch(s, client, maxLength, batch).then(() => {
          done += batch.filter((p) => p.result !== undefined).length;
          onProgress?.({ stage: "evaluate:score", done, total: all.length, unit: "examples" });
        }),
      );
    }
    const settled = await Promise.allSettled(jobs);
    for (const x of settled) if (x.status === "rejected") throw x.reason;
  }
  return all.map((p, i) => ({ ...(p.result ?? unfitScore(p)), task: examples[i]!.task }));
}

/** Greedy completions of every prompt, cut from the left (special prefix kept) to leave room for the new tokens. */
async function generateTexts(
  s: OpenAISettings,
  client: OpenAIClient,
  maxLength: number | null,
  toks: Tokenized[],
  maxNewTokens: number,
  onProgress?: ProgressSink,
): Promise<string[]> {
  const { display, model } = s;
  const items = toks.map((tok) => ({ tok, cut: 0, text: undefined as string | undefined }));
  const context = maxLength === null ? null : maxLength + s.echoMaxTokens;
  const idsOf = (it: (typeof items)[number]): number[] | null => {
    const { prefixIds: pre, prompt } = it.tok;
    if (context !== null)
      it.cut = Math.max(it.cut, pre.length + prompt.length - Math.max(1, context - maxNewTokens));
    if (it.cut > prompt.length || (it.cut === prompt.length && pre.length === 0)) return null;
    return [...pre, ...prompt.slice(it.cut)];
  };
  let done = 0;
  const one = async (batch: typeof items): Promise<void> => {
    for (let round = 0; round < MAX_ROUNDS * 2; round++) {
      const ids = batch.map(idsOf);
      if (ids.some((x) => x === null)) break;
      try {
        const body = await client.request("POST", s.completions, {
          model,
          prompt: ids,
          max_tokens: maxNewTokens,
          temperature: 0,
        });
        const choices = parseChoices(body, batch.length);
        batch.forEach((it, k) => {
          it.text = choices[k]!.text;
        });
        done += batch.length;
        onProgress?.({ stage: "evaluate:generate", done, total: items.length, unit: "examples" });
        return;
      } catch (e) {
        if (!(e instanceof TooLong)) {
          if (e instanceof ArrangeError) throw e;
          throw new ArrangeError(
            "service",
            `${display}: unusable generation answer (model ${model}): ${s.redact(errorText(e))}`,
            {
              option: "--endpoint",
              fix: "check that --endpoint is an OpenAI-compatible completions API",
            },
          );
        }
        if (batch.length > 1) {
          await Promise.all(batch.map((it) => one([it])));
          return;
        }
        const it = batch[0]!;
        const left = it.tok.prompt.length - it.cut;
        if (left === 0) break;
        it.cut += Math.max(1, Math.ceil(left / 2));
      }
    }
    throw new ArrangeError(
      "usage",
      `${display}: a prompt does not fit with --max-new-tokens ${maxNewTokens} even when cut to nothing`,
      {
        option: "--max-new-tokens",
        fix: "lower --max-new-tokens",
      },
    );
  };
  const jobs: Promise<void>[] = [];
  for (let b = 0; b < items.length; b += s.batchSize) jobs.push(one(items.slice(b, b + s.batchSize)));
  const settled = await Promise.allSettled(jobs);
  for (const x of settled) if (x.status === "rejected") throw x.reason;
  return items.map((it) => it.text ?? "");
}

export async function createOpenAIBackend(
  options: OpenAIBackendOptions,
): Promise<EvalBackend & { readonly requests: number }> {
  const s = resolveOpenAISettings(options);
  const client = createClient(s);
  const serverContext = await readServerContext(s, client);
  const maxLength = resolveMaxLength(options.maxLength, serverContext, s.echoMaxTokens);
  const tokenizeAll = createTokenizer(s, client);
  return {
    id: "openai",
    model: s.model,
    /** HTTP requests sent so far, retries included. */
    get requests() {
      return client.requests;
    },
    maxLength,
    scoresEos: s.eosText !== "",
    async score(examples: readonly EvalExample[], onProgress?: ProgressSink): Promise<ExampleScore[]> {
      const toks = await tokenizeAll(examples, true);
      return scoreExamples(s, client, maxLength, examples, toks, onProgress);
    },
    async generate(
      examples: readonly EvalExample[],
      maxNewTokens: number,
      onProgress?: ProgressSink,
    ): Promise<string[]> {
      const toks = await tokenizeAll(examples, false);
      return generateTexts(s, client, maxLength, toks, maxNewTokens, onProgress);
    },
    details() {
      return {
        endpoint: s.display,
        tokenize: s.tokenize.toString(),
        serverContext,
        eosText: s.eosText,
        echoMaxTokens: s.echoMaxTokens,
        batchSize: s.batchSize,
        concurrency: s.concurrency,
      };
    },
    async close() {},
  };
}
