import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { createOpenAIBackend } from "../../src/evaluate/backends/openai.js";
import { promptText } from "../../src/evaluate/template.js";
import { startToyServer, type ToyServer, toyGeneration, toyLogprob } from "./toy-completions-server.js";

/** Summed answer loss by hand: BOS is position 0, the kept prompt follows, then the answer. */
function handLoss(keptPrompt: string, answer: string): number {
  const start = 1 + Array.from(keptPrompt).length;
  return Array.from(answer).reduce((s, c, j) => s - toyLogprob(c, start + j), 0);
}

describe("openai backend against a real completions server on 127.0.0.1", () => {
  let server: ToyServer;
  beforeAll(async () => {
    server = await startToyServer(64);
  });
  afterAll(async () => {
    await server.close();
  });
  const fast = { retries: 4, backoffMs: 5, timeout: 0.4 };

  it("scores answer tokens from echoed log-probabilities (BOS-shifted offsets), in batches", async () => {
    const backend = await createOpenAIBackend({ endpoint: server.url, model: "toy", batchSize: 2, ...fast });
    expect(backend.maxLength).toBe(63); // max_model_len 64 - 1 echo token
    const examples = [
      { instruction: "Say hi", answer: "hi there", task: "a" },
      { instruction: "Count", answer: "1 2 3", task: "b" },
      { instruction: "Écrire été", answer: "été", task: "a" },
    ];
    server.bodies.length = 0;
    const scores = await backend.score(examples);
    expect(server.bodies.length).toBe(2);
    expect(server.bodies[0]).toMatchObject({ model: "toy", echo: true, logprobs: 1, max_tokens: 1 });
    expect((server.bodies[0]!.prompt as string[]).length).toBe(2);
    for (let i = 0; i < examples.length; i++) {
      const x = examples[i]!;
      expect(scores[i]!.tokens).toBe(Array.from(x.answer).length);
      expect(scores[i]!.lossSum!).toBeCloseTo(handLoss(promptText(x.instruction), x.answer), 10);
      expect(scores[i]).toMatchObject({ task: x.task, unfit: false, truncated: false });
    }
  });

  it("retries 429 (Retry-After), 500 and a timed-out request, and never sends or prints the key", async () => {
    const events: ProgressEvent[] = [];
    const backend = await createOpenAIBackend({
      endpoint: `${server.url}/v1`,
      model: "toy",
      apiKeyEnv: "TOY_KEY",
      env: { TOY_KEY: "sekrit-123" },
      onProgress: (e) => events.push(e),
      ...fast,
    });
    server.faults.push({ status: 429, retryAfter: "0" }, { status: 500 }, { delayMs: 1000 });
    const x = { instruction: "Say hi", answer: "hi", task: "a" };
    const before = backend.requests;
    const tokenizeBefore = server.tokenizeCalls;
    const [s] = await backend.score([x]);
    // "" (the special prefix), the prompt, prompt + answer; then 4 completions attempts.
    expect(server.tokenizeCalls - tokenizeBefore).toBe(3);
    expect(backend.requests - before).toBe(3 + 4);
    expect(s!.lossSum!).toBeCloseTo(handLoss(promptText(x.instruction), "hi"), 10);
    expect(server.authorization.at(-1)).toBe("Bearer sekrit-123");
    const text = JSON.stringify(events) + JSON.stringify(backend.details());
    expect(text).toContain("HTTP 429");
    expect(text).toContain("HTTP 500");
    expect(text).toContain("no answer within");
    expect(text).not.toContain("sekrit");
  });

  it("gives up after the retries with an error naming the endpoint and the fix", async () => {
    const backend = await createOpenAIBackend({ endpoint: server.url, model: "toy", ...fast, retries: 1 });
    server.faults.push({ status: 503 }, { status: 503 });
    await expect(backend.score([{ instruction: "a", answer: "b", task: "t" }])).rejects.toThrow(
      /failed after 2 attempts: HTTP 503/,
    );
  });

  it("cuts the prompt from the left to the token limit (exact over echoed tokens), marks unfit answers", async () => {
    const backend = await createOpenAIBackend({ endpoint: server.url, model: "toy", ...fast, maxLength: 40 });
    const long = { instruction: `${"x".repeat(30)}yz`, answer: "abc", task: "t" };
    const refused = { instruction: "q".repeat(70), answer: "def", task: "t" }; // over the server's context
    const unfit = { instruction: "q", answer: "z".repeat(45), task: "t" };
    const [a, b, c] = await backend.score([long, refused, unfit]);
    const keep = (x: typeof long) =>
      Array.from(promptText(x.instruction))
        .slice(-(40 - 1 - 3))
        .join("");
    expect(a).toMatchObject({ truncated: true, tokens: 3, unfit: false });
    expect(a!.lossSum!).toBeCloseTo(handLoss(keep(long), "abc"), 10);
    expect(b).toMatchObject({ truncated: true, tokens: 3, unfit: false });
    expect(b!.lossSum!).toBeCloseTo(handLoss(keep(refused), "def"), 10);
    expect(c).toMatchObject({ unfit: true, lossSum: null, tokens: 0 });
  });

  it("with the server's own limit: a refused prompt is cut to exactly the room left", async () => {
    const backend = await createOpenAIBackend({ endpoint: server.url, model: "toy", ...fast });
    const x = { instruction: "w".repeat(80), answer: "abc", task: "t" };
    const [s] = await backend.score([x]);
    const kept = Array.from(promptText(x.instruction))
      .slice(-(63 - 1 - 3))
      .join("");
    expect(s).toMatchObject({ truncated: true, tokens: 3 });
    expect(s!.lossSum!).toBeCloseTo(handLoss(kept, "abc"), 10);
  });

  it("generates with temperature 0 and max_tokens, in input order", async () => {
    const backend = await createOpenAIBackend({ endpoint: server.url, model: "toy", batchSize: 2, ...fast });
    const xs = ["Say hi", "Name it", "ok"].map((instruction) => ({ instruction, answer: "", task: "t" }));
    server.bodies.length = 0;
    const out = await backend.generate(xs, 5);
    expect(out).toEqual(xs.map((x) => toyGeneration(promptText(x.instruction), 5)));
    expect(server.bodies[0]).toMatchObject({ temperature: 0, max_tokens: 5 });
    expect(server.bodies[0]!.echo).toBeUndefined();
  });

  it("fails clearly when the server is down, the model is not served, or the key variable is unset", async () => {
    await expect(
      createOpenAIBackend({ endpoint: "http://127.0.0.1:9", model: "toy", ...fast, retries: 0 }),
    ).rejects.toThrow(/request failed/);
    await expect(createOpenAIBackend({ endpoint: server.url, model: "nope", ...fast })).rejects.toThrow(
      /--model nope is not served/,
    );
    await expect(
      createOpenAIBackend({ endpoint: server.url, model: "toy", apiKeyEnv: "UNSET_VAR_X", env: {} }),
    ).rejects.toThrow(/UNSET_VAR_X is not set/);
  });
});
