import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ArrangeError } from "../../src/core/errors.js";
import { train } from "../../src/train/index.js";
import { resolveSettings } from "../../src/train/options.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";
import { describeTorch, TORCH_PYTHON } from "../helpers/torch.js";

const TINY = { model: "builtin:tiny", threads: 1, python: TORCH_PYTHON ?? undefined } as const;

/** Plain text rows: sentences of the bundled training set's prompts, as pretraining text. */
async function textFile(dir: string, rows: number): Promise<string> {
  const texts = Array.from(
    { length: rows },
    (_, i) =>
      `The ${i % 7 === 0 ? "river" : "road"} number ${i} runs past ${i % 3 === 0 ? "a hill" : "the mill"}.`,
  );
  const path = join(dir, "text.jsonl");
  await writeFile(path, texts.map((text) => `${JSON.stringify({ text })}\n`).join(""));
  return path;
}

describe("--objective settings", () => {
  it("lm needs --max-steps; an unknown objective is named", () => {
    expect(() => resolveSettings({ objective: "lm" })).toThrow(/--objective lm needs --max-steps/);
    expect(resolveSettings({ objective: "lm", maxSteps: 5 }).objective).toBe("lm");
    expect(resolveSettings({}).objective).toBe("instruct");
    expect(() => resolveSettings({ objective: "mlm" as never })).toThrow(
      /--objective must be one of instruct, lm/,
    );
  });
});

describeTorch("train --objective lm (PyTorch backend)", () => {
  it("pretrains on packed text, every token a target, and a later run starts from its checkpoint", async () => {
    const dir = await tempDir();
    const data = await textFile(dir, 200);
    const stepTokens: number[] = [];
    const run = await train({
      ...TINY,
      objective: "lm",
      onEvent: (e) => {
        if (e.event === "step") stepTokens.push(e.tokens);
      },
      data,
      eval: EXAMPLE_TEST,
      evalMaxExamples: 10,
      out: join(dir, "pretrain"),
      maxLength: 64,
      batchSize: 4,
      maxSteps: 6,
      evalEvery: 6,
      saveAt: [6],
    });
    // The 200 texts, each [BOS] text [EOS] in the byte tokenizer, packed into 64-token sequences.
    const texts = (await readFile(data, "utf8")).trim().split("\n");
    const tokens = texts.reduce((n, l) => n + Buffer.byteLength(JSON.parse(l).text, "utf8") + 2, 0);
    expect(run.start.trainExamples).toBe(Math.ceil(tokens / 64));
    const config = JSON.parse(await readFile(join(dir, "pretrain", "trainer-config.json"), "utf8"));
    expect(config.objective).toBe("lm");
    const prepared = (await readFile(join(dir, "pretrain", "train.jsonl"), "utf8")).trim().split("\n");
    expect(prepared.map((l) => JSON.parse(l))).toEqual(texts.map((l) => ({ text: JSON.parse(l).text })));
    // Every step's batch is 4 full 64-token sequences: 4 * 63 targets, prompt masking does not apply.
    expect(stepTokens).toEqual(Array(6).fill(4 * 63));
    const tuned = await train({
      ...TINY,
      data: EXAMPLE_TRAIN,
      eval: EXAMPLE_TEST,
      evalMaxExamples: 10,
      out: join(dir, "tuned"),
      maxLength: 64,
      maxSteps: 2,
      evalEvery: 2,
      init: join(dir, "pretrain", "checkpoints", "step-6"),
    });
    const end = run.curves.points.find((p) => p.step === 6)!.test.loss;
    expect(tuned.curves.points[0]!.test.loss).toBeCloseTo(end!, 6);
  }, 120_000);

  it("refuses instruction rows under lm and text rows under instruct, naming the file and the fix", async () => {
    const dir = await tempDir();
    const data = await textFile(dir, 5);
    await expect(
      train({
        ...TINY,
        objective: "lm",
        maxSteps: 1,
        data: EXAMPLE_TRAIN,
        eval: EXAMPLE_TEST,
        out: join(dir, "a"),
      }),
    ).rejects.toThrow(/--objective lm trains on \{"text": \.\.\.\} rows; this file has the \w+ layout/);
    const e = await train({ ...TINY, maxSteps: 1, data, eval: EXAMPLE_TEST, out: join(dir, "b") }).then(
      () => undefined,
      (err: unknown) => err as ArrangeError,
    );
    expect(e?.message).toMatch(/layout "text" has no separate instruction and answer/);
    expect(e?.file).toBe(data);
    expect(e?.fix).toMatch(/train --objective lm/);
  }, 60_000);
});
