import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { createOpenAIBackend } from "../../src/evaluate/backends/openai.js";
import { promptText } from "../../src/evaluate/template.js";
import { type OffsetMode, type SpServer, spLogprob, startSpServer } from "./sentencepiece-server.js";

/** The answer's tokens are the last `answerTokens` of prompt + answer + EOS as the server tokenizes it. */
function handLoss(server: SpServer, instruction: string, answer: string, answerTokens: number): number {
  const full = server.tokenizer.encode(`${promptText(instruction)}${answer}</s>`);
  let sum = 0;
  for (let j = full.length - answerTokens; j < full.length; j++) sum -= spLogprob(full[j]!, j);
  return sum;
}

describe.each<OffsetMode>(["running", "per-token"])(
  "openai backend, SentencePiece tokenizer, %s text offsets",
  (mode) => {
    let server: SpServer;
    beforeAll(async () => {
      server = await startSpServer(mode);
    });
    afterAll(async () => {
      await server.close();
    });

    it("scores exactly the answer's tokens (boundary = the prompt's token count), sent as token ids", async () => {
      const backend = await createOpenAIBackend({
        endpoint: server.url,
        model: "sp",
        eosText: "</s>",
        retries: 0,
      });
      const examples = [
        { instruction: "Name the capital of France", answer: "Paris is the capital", task: "a" },
        { instruction: "Say hi", answer: "hi there", task: "b" },
      ];
      const scores = await backend.score(examples);
      // "▁Paris ▁is ▁the ▁capital </s>" and "▁hi ▁there </s>": the prompt's trailing "▁" is not an answer token.
      expect(scores.map((s) => s.tokens)).toEqual([5, 3]);
      expect(scores[0]!.lossSum!).toBeCloseTo(
        handLoss(server, examples[0]!.instruction, examples[0]!.answer, 5),
        10,
      );
      expect(scores[1]!.lossSum!).toBeCloseTo(
        handLoss(server, examples[1]!.instruction, examples[1]!.answer, 3),
        10,
      );
      const sent = server.bodies.at(-1)!.prompt as number[][];
      expect(Array.isArray(sent[0])).toBe(true);
      expect(sent[0]![0]).toBe(1); // BOS from the server's own tokenizer, sent once
      expect(sent[0]!.filter((id) => id === 1).length).toBe(1);
    });

    it("cuts prompts by tokens (BOS kept) and generates from token-id prompts", async () => {
      const backend = await createOpenAIBackend({
        endpoint: server.url,
        model: "sp",
        maxLength: 8,
        retries: 0,
      });
      const x = { instruction: "one two three four five six seven", answer: "yes", task: "t" };
      const [s] = await backend.score([x]);
      expect(s).toMatchObject({ tokens: 1, truncated: true, unfit: false });
      const sent = (server.bodies.at(-1)!.prompt as number[][])[0]!;
      expect(sent.length).toBe(8);
      expect(sent[0]).toBe(1);
      const full = server.tokenizer.encode(`${promptText(x.instruction)}${x.answer}`);
      expect(sent.slice(1)).toEqual(full.slice(full.length - 7));
      const out = await backend.generate([x], 2);
      expect(out).toEqual([" ok"]);
      expect(Array.isArray((server.bodies.at(-1)!.prompt as number[][])[0])).toBe(true);
    });
  },
);

describe("openai backend, refused connection", () => {
  it("fails at once, naming the URL it tried, without retry warnings", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const events: ProgressEvent[] = [];
    const error = await createOpenAIBackend({
      endpoint: `http://127.0.0.1:${port}`,
      model: "m",
      retries: 5,
      backoffMs: 2000,
      onProgress: (e) => events.push(e),
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}/v1/models`);
    expect((error as Error).message).not.toMatch(/after \d+ attempts/);
    expect(events.filter((e) => /retry/.test(e.message ?? ""))).toEqual([]);
  });
});
