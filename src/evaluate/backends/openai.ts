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
 * Scoring sends `prompt` = the template's prompt text + the answer (+ `eosText`), `max_tokens` =
 * `echoMaxTokens` (default 1: recent vLLM rejects 0; the generated entries at the end of each choice are
 * dropped) and reads `choices[i].logprobs.{tokens, token_logprobs, text_offset}`. Offsets are measured
 * from the end of the echoed text, so a BOS string the server puts in front ("<s>") does not shift them;
 * an echoed token is an answer token when it ends after the last character of the prompt, so a token
 * that straddles the boundary (" Paris" after "Assistant:") is scored as an answer token. The loss of
 * an answer token is minus its log-probability (nats).
 *
 * Truncation: the server tokenizes, so the prompt is cut from the left by characters at the start of
 * an echoed token: when an example is longer than `maxLength` tokens, the first excess prompt tokens
 * (those inside the text, not a BOS) are dropped and the shorter text is scored again (at most 6
 * rounds; the tokenization of the shorter text is checked each time). When the server answers 400 for
 * a context-length reason the remaining prompt is halved and retried. An example whose answer cannot
 * fit, or whose first answer token has no log-probability, is unfit.
 *
 * Requests carry up to `batchSize` prompts; at most `concurrency` are in flight; 429, 408, 5xx, timeouts
 * and network errors are retried with exponential backoff (Retry-After honoured). The key is read from
 * the environment variable `apiKeyEnv` and never appears in messages.
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

/** The completions URL (and the models URL) for an endpoint as the user gave it. */
export function completionsUrl(endpoint: string): { completions: URL; models: URL } {
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
  return { completions, models };
}

function checkInt(value: number, min: number, option: string): number {
  return checkIntOption(value, min, option, String(Math.max(min, 1)));
}

/** The server refused the request because a prompt is too long for its context (HTTP 400). */
class TooLong extends Error {}

/** Number of Unicode code points (Python's len, which vLLM's text_offset counts). */
function cpLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

interface Logprobs {
  tokens: string[];
  logprobs: (number | null)[];
  offsets: number[];
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
    const lp = choice.logprobs as {
      tokens?: unknown;
      token_logprobs?: unknown;
      text_offset?: unknown;
    } | null;
    if (lp !== null && lp !== undefined) {
      const { tokens, token_logprobs: tl, text_offset: to } = lp;
      if (!Array.isArray(tokens) || !Array.isArray(tl) || !Array.isArray(to))
        throw new Error(`choice ${k}: logprobs needs tokens, token_logprobs and text_offset`);
      if (tl.length !== tokens.length || to.length !== tokens.length)
        throw new Error(`choice ${k}: tokens, token_logprobs and text_offset differ in length`);
      for (let j = 0; j < tokens.length; j++) {
        if (typeof tokens[j] !== "string") throw new Error(`choice ${k}: token ${j} is not text`);
        if (tl[j] !== null && (typeof tl[j] !== "number" || !Number.isFinite(tl[j]) || tl[j] > 1e-6))
          throw new Error(
            `choice ${k}: token_logprobs[${j}] = ${JSON.stringify(tl[j])} is not a log-probability`,
          );
        if (!Number.isSafeInteger(to[j])) throw new Error(`choice ${k}: text_offset[${j}] is not an integer`);
      }
      logprobs = { tokens: tokens as string[], logprobs: tl as (number | null)[], offsets: to as number[] };
    }
    out[index as number] = { text: choice.text, logprobs };
  });
  return out;
}

/** Per example state across scoring rounds. */
interface Pending {
  i: number;
  /** Prompt text as code points. */
  prompt: string[];
  /** Code points cut from the left of the prompt. */
  cut: number;
  tail: string;
  result?: ExampleScore;
  /** For generation: where each text token of the kept prompt starts (code points into prompt), BOS entries before the text. */
  promptStarts?: number[];
  bos?: number;
  /** The cut came from a context-length refusal (a character estimate), not from echoed tokens. */
  coarse: boolean;
  /** Largest cut the server refused as too long (-1: none). */
  refusedCut: number;
  /** A scored result kept while a longer prompt is tried after a coarse cut. */
  best?: { result: ExampleScore; promptStarts: number[]; bos: number; cut: number };
}

export async function createOpenAIBackend(
  options: OpenAIBackendOptions,
): Promise<EvalBackend & { readonly requests: number }> {
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
  const { completions, models } = completionsUrl(options.endpoint);
  const model = options.model;
  const batchSize = checkInt(options.batchSize ?? OPENAI_DEFAULTS.batchSize, 1, "--batch-size");
  const concurrency = checkInt(options.concurrency ?? OPENAI_DEFAULTS.concurrency, 1, "--concurrency");
  const retries = checkInt(options.retries ?? OPENAI_DEFAULTS.retries, 0, "--retries");
  const echoMaxTokens = checkInt(
    options.echoMaxTokens ?? OPENAI_DEFAULTS.echoMaxTokens,
    0,
    "--echo-max-tokens",
  );
  const timeout = checkTimeout(options.timeout ?? OPENAI_DEFAULTS.timeout, 120);
  const backoffMs = options.backoffMs ?? OPENAI_DEFAULTS.backoffMs;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? OPENAI_DEFAULTS.maxRetryAfterMs;
  const eosText = options.eosText ?? "";
  const {
    keyEnv,
    key,
    redact: redactKey,
  } = apiKeyFromEnv(options.apiKeyEnv, OPENAI_DEFAULTS.apiKeyEnv, options.env ?? process.env, "server");
  const display = redactUrl(completions);
  const secrets = urlSecrets(completions);
  const redact = (text: string) => hideSecrets(redactKey(text), secrets);
  const progress = options.onProgress;
  let requests = 0;

  const slot = semaphore(concurrency);

  function fixFor(status: number): string {
    if (status === 401 || status === 403)
      return key !== undefined
        ? `check the API key in $${keyEnv} (or name another variable with --api-key-env)`
        : `the server wants a key: export it in $${keyEnv} or name its variable with --api-key-env`;
    if (status === 404)
      return `check --endpoint (a completions API at .../v1/completions) and that --model ${model} is served there`;
    if (status === 429) return "the server is rate limiting: lower --concurrency or raise --retries";
    if (status >= 500)
      return "the server keeps failing: check its logs, lower --concurrency or --batch-size, or raise --retries";
    return `check that the server supports echo with logprobs (vLLM does) and --model ${model}; try a lower --batch-size`;
  }

  function attempt(method: "GET" | "POST", url: URL, body?: unknown): Promise<unknown> {
    requests++;
    return requestJson({
      method,
      url,
      body,
      key,
      timeout,
      redact,
      fixes: {
        timeout: "raise --timeout or lower --batch-size, or check the server's load",
        unreachable:
          "check that the server is running and reachable at --endpoint (e.g. vllm serve MODEL --port 8000)",
        notJson: "check that --endpoint is an OpenAI-compatible completions API",
        status: fixFor,
      },
      onStatus: (status, text, excerpt) => {
        if (status === 400 && /context|too long|maximum.*length|max_model_len|exceed/i.test(text))
          throw new TooLong(excerpt);
      },
    });
  }

  /** One request with retries; throws TooLong at once, ArrangeError after the retries. */
  async function request(method: "GET" | "POST", url: URL, body?: unknown): Promise<unknown> {
    try {
      return await withRetries(
        {
          retries,
          backoffMs,
          maxRetryAfterMs,
          onRetry: (tryNo, wait, last) =>
            progress?.({
              stage: "evaluate:openai",
              done: tryNo,
              unit: "retries",
              message: `warning: ${display}: ${last.what}; retry ${tryNo} of ${retries} in ${(wait / 1000).toFixed(1)} s`,
            }),
        },
        () => slot(() => attempt(method, url, body)),
      );
    } catch (e) {
      if (e instanceof RequestFailure)
        throw requestError("service", redactUrl(url), model, retries, e.failure);
      throw e;
    }
  }

  // The server's context (vLLM's /v1/models lists max_model_len) and a check that it answers at all.
  let serverContext: number | null = null;
  try {
    const listed = (await request("GET", models)) as { data?: unknown };
    if (Array.isArray(listed?.data)) {
      const entry = listed.data.find((m: { id?: unknown }) => m?.id === model) as
        | { max_model_len?: unknown }
        | undefined;
      if (entry === undefined && listed.data.length > 0)
        throw usageError(
          `--model ${model} is not served at ${options.endpoint} (it serves ${listed.data.map((m: { id?: unknown }) => String(m?.id)).join(", ")})`,
          "--model",
          "pass one of the served model names",
        );
      if (typeof entry?.max_model_len === "number" && Number.isSafeInteger(entry.max_model_len))
        serverContext = entry.max_model_len;
    }
  } catch (e) {
    // A server without /v1/models (404) is fine; one that does not answer is not.
    if (e instanceof ArrangeError && /HTTP 40[45]/.test(e.message)) serverContext = null;
    else throw e;
  }
  const maxLength =
    options.maxLength !== undefined
      ? checkInt(options.maxLength, 2, "--max-length")
      : serverContext === null
        ? null
        : serverContext - echoMaxTokens;
  if (maxLength !== null && serverContext !== null && maxLength + echoMaxTokens > serverContext)
    throw usageError(
      `--max-length ${maxLength} + ${echoMaxTokens} echo token(s) is more than the server's context of ${serverContext} tokens`,
      "--max-length",
      `pass --max-length ${serverContext - echoMaxTokens} or less`,
    );

  const state = new Map<number, Pending>();

  function tooLong(p: Pending): void {
    if (p.best !== undefined) {
      // A longer prompt tried after a coarse cut was refused: keep the result of the shorter one.
      Object.assign(p, {
        cut: p.best.cut,
        promptStarts: p.best.promptStarts,
        bos: p.best.bos,
        result: p.best.result,
      });
      return;
    }
    const left = p.prompt.length - p.cut;
    if (left === 0) {
      p.result = unfitScore(p);
      return;
    }
    p.refusedCut = p.cut;
    p.coarse = true;
    // The server cannot take the text at all. With a known limit keep at most as many prompt characters as
    // there is room for tokens (a token holds at least one character, so this nearly always fits; the
    // prompt is grown back by the echoed tokens' own length afterwards); without one halve what is left.
    const keep = maxLength === null ? Math.floor(left / 2) : Math.max(0, maxLength - 1 - cpLength(p.tail));
    p.cut = Math.min(p.prompt.length, Math.max(p.cut + 1, p.prompt.length - keep));
  }

  function unfitScore(p: Pending): ExampleScore {
    return { task: "", lossSum: null, tokens: 0, unfit: true, truncated: p.cut > 0 };
  }

  /** Read one echoed choice: a result, or a further cut for the next round. */
  function analyze(p: Pending, lp: Logprobs | null): void {
    if (lp === null) throw new Error("a choice has no logprobs (the server ignored echo/logprobs)");
    const n = lp.tokens.length - echoMaxTokens;
    const full = p.prompt.slice(p.cut).join("") + p.tail;
    if (n < 1) throw new Error(`a choice echoes ${lp.tokens.length} tokens for a non-empty prompt`);
    const end = n < lp.tokens.length ? lp.offsets[n]! : lp.offsets[n - 1]! + cpLength(lp.tokens[n - 1]!);
    const shift = end - cpLength(full);
    const boundary = end - cpLength(p.tail);
    const ends = (j: number) => (j + 1 < n ? lp.offsets[j + 1]! : end);
    let k = 0;
    while (k < n && ends(k) <= boundary) k++;
    const answerTokens = n - k;
    const textStarts: number[] = [];
    let bos = 0;
    for (let j = 0; j < k; j++) {
      if (lp.offsets[j]! >= shift) textStarts.push(p.cut + lp.offsets[j]! - shift);
      else bos++;
    }
    if (answerTokens === 0 || (maxLength !== null && answerTokens + 1 > maxLength)) {
      p.result = unfitScore(p);
      return;
    }
    if (maxLength !== null && n > maxLength) {
      // Exact token-level cut: the first excess prompt tokens go.
      const drop = n - maxLength;
      const next = drop < textStarts.length ? textStarts[drop]! : p.prompt.length;
      p.cut = Math.max(p.cut + 1, Math.min(next, p.prompt.length));
      p.coarse = false;
      return;
    }
    let sum = 0;
    for (let j = k; j < n; j++) {
      const lpj = lp.logprobs[j];
      if (lpj === null || lpj === undefined) {
        p.result = unfitScore(p);
        return;
      }
      sum -= lpj;
    }
    const result: ExampleScore = {
      task: "",
      lossSum: sum,
      tokens: answerTokens,
      unfit: false,
      truncated: p.cut > 0,
    };
    if (
      p.coarse &&
      maxLength !== null &&
      n < maxLength &&
      p.cut > p.refusedCut + 1 &&
      textStarts.length > 0
    ) {
      // The character estimate cut too much: grow the prompt back by the room left, at the kept prompt's
      // characters per token, then let the exact cut above trim it.
      const perToken = (p.prompt.length - p.cut) / textStarts.length;
      const grown = Math.max(p.refusedCut + 1, p.cut - Math.floor((maxLength - n) * perToken));
      if (grown < p.cut) {
        p.best = { result, promptStarts: textStarts, bos, cut: p.cut };
        p.cut = grown;
        p.coarse = false;
        return;
      }
    }
    p.promptStarts = textStarts;
    p.bos = bos;
    p.result = result;
  }

  async function scoreBatch(batch: Pending[]): Promise<void> {
    const prompts = batch.map((p) => p.prompt.slice(p.cut).join("") + p.tail);
    let body: unknown;
    try {
      body = await request("POST", completions, {
        model,
        prompt: prompts,
        echo: true,
        logprobs: 1,
        max_tokens: echoMaxTokens,
        temperature: 0,
      });
    } catch (e) {
      if (!(e instanceof TooLong)) throw e;
      if (batch.length > 1) {
        await Promise.all(batch.map((p) => scoreBatch([p])));
        return;
      }
      tooLong(batch[0]!);
      return;
    }
    try {
      const choices = parseChoices(body, batch.length);
      for (let k = 0; k < batch.length; k++) analyze(batch[k]!, choices[k]!.logprobs);
    } catch (e) {
      throw new ArrangeError(
        "service",
        `${display}: unusable answer for ${batch.length} prompts (model ${model}): ${redact(errorText(e))}`,
        {
          option: "--endpoint",
          fix: "the server must return prompt log-probabilities for echo: true with logprobs (vLLM's completions API does)",
          cause: e,
        },
      );
    }
  }

  return {
    id: "openai",
    model,
    /** HTTP requests sent so far, retries included. */
    get requests() {
      return requests;
    },
    maxLength,
    scoresEos: eosText !== "",
    async score(examples: readonly EvalExample[], onProgress?: ProgressSink): Promise<ExampleScore[]> {
      const all: Pending[] = examples.map((x, i) => ({
        i,
        prompt: Array.from(promptText(x.instruction)),
        cut: 0,
        tail: x.answer + eosText,
        coarse: false,
        refusedCut: -1,
      }));
      for (const p of all) state.set(p.i, p);
      let done = 0;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const pending = all.filter((p) => p.result === undefined);
        if (pending.length === 0) break;
        const jobs: Promise<void>[] = [];
        for (let b = 0; b < pending.length; b += batchSize) {
          const batch = pending.slice(b, b + batchSize);
          jobs.push(
            scoreBatch(batch).then(() => {
              done += batch.filter((p) => p.result !== undefined).length;
              onProgress?.({ stage: "evaluate:score", done, total: all.length, unit: "examples" });
            }),
          );
        }
        const settled = await Promise.allSettled(jobs);
        for (const s of settled) if (s.status === "rejected") throw s.reason;
      }
      return all.map((p, i) => ({
        ...(p.result ?? p.best?.result ?? unfitScore(p)),
        task: examples[i]!.task,
      }));
    },
    async generate(
      examples: readonly EvalExample[],
      maxNewTokens: number,
      onProgress?: ProgressSink,
    ): Promise<string[]> {
      const items = examples.map((x, i) => {
        const prompt = Array.from(promptText(x.instruction));
        const s = state.get(i);
        let cut = 0;
        // Room for the new tokens: drop the first prompt tokens the scoring pass saw, when it saw them.
        if (maxLength !== null && s?.promptStarts !== undefined && s.prompt.join("") === prompt.join("")) {
          const tokens = (s.bos ?? 0) + s.promptStarts.length;
          const drop = tokens + maxNewTokens - (maxLength + echoMaxTokens);
          if (drop > 0) cut = drop < s.promptStarts.length ? s.promptStarts[drop]! : prompt.length;
        }
        return { prompt, cut, text: undefined as string | undefined };
      });
      let done = 0;
      const one = async (batch: typeof items): Promise<void> => {
        for (let round = 0; round < MAX_ROUNDS * 2; round++) {
          try {
            const body = await request("POST", completions, {
              model,
              prompt: batch.map((it) => it.prompt.slice(it.cut).join("")),
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
                `${display}: unusable generation answer (model ${model}): ${redact(errorText(e))}`,
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
            const left = it.prompt.length - it.cut;
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
      for (let b = 0; b < items.length; b += batchSize) jobs.push(one(items.slice(b, b + batchSize)));
      const settled = await Promise.allSettled(jobs);
      for (const s of settled) if (s.status === "rejected") throw s.reason;
      return items.map((it) => it.text ?? "");
    },
    details() {
      return {
        endpoint: display,
        serverContext,
        eosText,
        echoMaxTokens,
        batchSize,
        concurrency,
      };
    },
    async close() {},
  };
}
