import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 speaking vLLM's completions protocol for a toy deterministic character
 * model: every character is a token, the server puts a BOS token "<s>" in front (counted in the context
 * and in text_offset, as vLLM does), and the log-probability of character c at sequence position p
 * (BOS = 0) is log(w(c, p) / Z(p)) with w = 1 + (codePoint(c) + p) mod 5 over printable ASCII and "\n".
 * Greedy generation writes the instruction (between "User: " and "\nAssistant: ") in upper case.
 * `POST /tokenize` ({prompt, add_special_tokens}) answers the ids: BOS = TOY_BOS, then the code points;
 * completions take text prompts or token-id prompts (a list of ids or a list of such lists), as vLLM.
 */
export const TOY_BOS = 1_000_000;
export const TOY_ALPHABET = ["\n", ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];

export function toyLogprob(c: string, pos: number): number {
  const w = (ch: string) => 1 + ((ch.codePointAt(0)! + pos) % 5);
  let z = 0;
  for (const ch of TOY_ALPHABET) z += w(ch);
  return Math.log(w(c) / z);
}

export function toyGeneration(prompt: string, maxTokens: number): string {
  const m = /User: ([\s\S]*)\nAssistant: $/.exec(prompt);
  return (m?.[1] ?? prompt).toUpperCase().slice(0, maxTokens);
}

export interface Fault {
  status?: number;
  retryAfter?: string;
  delayMs?: number;
}

export interface ToyServer {
  url: string;
  context: number;
  /** Faults served to the next requests, first first. */
  faults: Fault[];
  /** Every completions body received. */
  bodies: Record<string, unknown>[];
  /** Tokenize requests received. */
  tokenizeCalls: number;
  authorization: (string | undefined)[];
  close(): Promise<void>;
}

export async function startToyServer(context = 64, withBos = true): Promise<ToyServer> {
  const state: Omit<ToyServer, "url" | "close"> = {
    context,
    faults: [],
    bodies: [],
    authorization: [],
    tokenizeCalls: 0,
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (req.method === "GET" && req.url === "/v1/models")
      return send(res, 200, {
        object: "list",
        data: [{ id: "toy", object: "model", max_model_len: context }],
      });
    if (req.method === "POST" && req.url === "/tokenize") {
      state.tokenizeCalls++;
      const b = JSON.parse(raw) as { prompt: string; add_special_tokens?: boolean };
      const ids = Array.from(b.prompt, (c) => c.codePointAt(0)!);
      const tokens = withBos && b.add_special_tokens !== false ? [TOY_BOS, ...ids] : ids;
      return send(res, 200, { tokens, count: tokens.length, max_model_len: context });
    }
    if (req.method !== "POST" || req.url !== "/v1/completions") return send(res, 404, { error: "not found" });
    state.authorization.push(req.headers.authorization);
    const fault = state.faults.shift();
    if (fault?.delayMs !== undefined) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.status !== undefined)
      return send(
        res,
        fault.status,
        { object: "error", message: "injected failure" },
        fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter },
      );
    const body = JSON.parse(raw) as Record<string, unknown>;
    state.bodies.push(body);
    if (body.model !== "toy")
      return send(res, 404, { object: "error", message: `The model ${body.model} does not exist.` });
    const raw_ = body.prompt as string | string[] | number[] | number[][];
    const list: (string | number[])[] =
      typeof raw_ === "string"
        ? [raw_]
        : raw_.length > 0 && typeof raw_[0] === "number"
          ? [raw_ as number[]]
          : (raw_ as (string | number[])[]);
    // Token ids are used as given (no BOS added), text gets the BOS, as vLLM does.
    const asTokens = (p: string | number[]): string[] =>
      typeof p === "string"
        ? [...(withBos ? ["<s>"] : []), ...Array.from(p)]
        : p.map((id) => (id === TOY_BOS ? "<s>" : String.fromCodePoint(id)));
    const prompts = list.map((p) => asTokens(p));
    const maxTokens = Number(body.max_tokens ?? 16);
    const choices = [];
    for (let i = 0; i < prompts.length; i++) {
      const tokens = prompts[i]!;
      const prompt = tokens.filter((t) => t !== "<s>").join("");
      if (tokens.length + maxTokens > context)
        return send(res, 400, {
          object: "error",
          message: `This model's maximum context length is ${context} tokens. However, you requested ${tokens.length + maxTokens} tokens (${tokens.length} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
          type: "BadRequestError",
          code: 400,
        });
      const generated = Array.from(toyGeneration(prompt, maxTokens));
      const all = body.echo === true ? [...tokens, ...generated] : generated;
      const first = body.echo === true ? 0 : tokens.length;
      const offsets: number[] = [];
      let at = 0;
      for (const t of all) {
        offsets.push(at);
        at += t.length;
      }
      const logprobs =
        body.logprobs === undefined || body.logprobs === null
          ? null
          : {
              tokens: all,
              token_logprobs: all.map((t, j) => (first + j === 0 ? null : toyLogprob(t, first + j))),
              text_offset: offsets,
              top_logprobs: all.map(() => null),
            };
      choices.push({
        index: i,
        text: (body.echo === true ? prompt : "") + generated.join(""),
        logprobs,
        finish_reason: "length",
      });
    }
    send(res, 200, { id: "cmpl-toy", object: "text_completion", model: "toy", choices });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, { message: String(e) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
