import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A completions server on 127.0.0.1 with a SentencePiece-style word tokenizer (Llama-2, Mistral): spaces are
 * "▁", a "▁" is put in front of the text (the dummy prefix), and words carry their leading "▁"
 * ("Assistant: Paris" -> "Assistant", ":", "▁Paris"). BOS is id 1, "</s>" (EOS) id 2. The log-probability
 * of token id t at position p is spLogprob(t, p).
 *
 * `offsets` picks how the echoed `text_offset`s are built:
 * - "running": from each token's text inside the decoded running text (" Paris"), so they add up to the text;
 * - "per-token": from each token decoded on its own ("Paris": SentencePiece drops the leading space),
 *   added up as vLLM's `_create_completion_logprobs` does, so every word loses one character and the
 *   offsets drift left of the text.
 */
export type OffsetMode = "running" | "per-token";

export const SP_BOS = 1;
export const SP_EOS = 2;

export class SpTokenizer {
  private readonly ids = new Map<string, number>([
    ["<s>", SP_BOS],
    ["</s>", SP_EOS],
  ]);
  private readonly pieces: string[] = ["<unk>", "<s>", "</s>"];

  private id(piece: string): number {
    let id = this.ids.get(piece);
    if (id === undefined) {
      id = this.pieces.length;
      this.pieces.push(piece);
      this.ids.set(piece, id);
    }
    return id;
  }

  encode(text: string, addSpecial = true): number[] {
    const out: number[] = addSpecial ? [SP_BOS] : [];
    const parts = text.split("</s>");
    parts.forEach((part, k) => {
      if (k > 0) out.push(SP_EOS);
      if (part === "") return;
      const norm = (k === 0 ? "▁" : "") + part.replaceAll(" ", "▁");
      for (const m of norm.matchAll(/▁?[^▁\n:]+|▁|\n|:/g)) out.push(this.id(m[0]));
    });
    return out;
  }

  piece(id: number): string {
    return this.pieces[id] ?? "<unk>";
  }

  /** The text a token adds inside running text ("▁Paris" -> " Paris"; specials as their names). */
  running(id: number): string {
    return this.piece(id).replaceAll("▁", " ");
  }

  /** A token decoded on its own: the leading space is dropped ("▁Paris" -> "Paris"). */
  alone(id: number): string {
    return this.running(id).replace(/^ /, "");
  }
}

export function spLogprob(id: number, pos: number): number {
  return -(0.25 + ((id * 7 + pos * 3) % 11) / 4);
}

export interface SpServer {
  url: string;
  tokenizer: SpTokenizer;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startSpServer(offsets: OffsetMode, context = 256): Promise<SpServer> {
  const tokenizer = new SpTokenizer();
  const bodies: Record<string, unknown>[] = [];
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (req.method === "GET" && req.url === "/v1/models")
      return send(res, 200, { data: [{ id: "sp", max_model_len: context }] });
    if (req.method === "POST" && req.url === "/tokenize") {
      const b = JSON.parse(raw) as { prompt: string; add_special_tokens?: boolean };
      const tokens = tokenizer.encode(b.prompt, b.add_special_tokens !== false);
      return send(res, 200, { tokens, count: tokens.length, max_model_len: context });
    }
    if (req.method !== "POST" || req.url !== "/v1/completions") return send(res, 404, { error: "not found" });
    const body = JSON.parse(raw) as Record<string, unknown>;
    bodies.push(body);
    const p = body.prompt as string | string[] | number[] | number[][];
    const list: (string | number[])[] =
      typeof p === "string"
        ? [p]
        : p.length > 0 && typeof p[0] === "number"
          ? [p as number[]]
          : (p as (string | number[])[]);
    const maxTokens = Number(body.max_tokens ?? 16);
    const choices = list.map((prompt, index) => {
      const ids = typeof prompt === "string" ? tokenizer.encode(prompt) : prompt;
      const generated = tokenizer.encode("ok", false).slice(0, maxTokens);
      const all = body.echo === true ? [...ids, ...generated] : generated;
      const first = body.echo === true ? 0 : ids.length;
      const strings = all.map((t) => (offsets === "running" ? tokenizer.running(t) : tokenizer.alone(t)));
      const text_offset: number[] = [];
      let at = 0;
      for (const s of strings) {
        text_offset.push(at);
        at += s.length;
      }
      const promptText = ids
        .map((t) => tokenizer.running(t))
        .join("")
        .replace(/^<s> /, "");
      return {
        index,
        text: (body.echo === true ? promptText : "") + generated.map((t) => tokenizer.running(t)).join(""),
        logprobs: {
          tokens: strings,
          token_logprobs: all.map((t, j) => (first + j === 0 ? null : spLogprob(t, first + j))),
          text_offset,
          top_logprobs: all.map(() => null),
        },
        finish_reason: "length",
      };
    });
    send(res, 200, { object: "text_completion", model: "sp", choices });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, { message: String(e) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokenizer,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
