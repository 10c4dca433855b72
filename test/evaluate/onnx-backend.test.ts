import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { createOnnxBackend } from "../../src/evaluate/backends/onnx.js";
import type { EvalBackend } from "../../src/evaluate/backends/types.js";
import { promptText } from "../../src/evaluate/template.js";
import { GPT2_FIXTURE_VOCAB, TINY_GPT2, writeGpt2Fixture } from "../../src/evaluate/testing/gpt2-fixture.js";
import { tempDir } from "../helpers/tmp.js";

const BOS = 256;
const EOS = 257;
const bytes = (s: string) => Array.from(Buffer.from(s, "utf8"));

/** Logits of one sequence straight from onnxruntime, and the answer loss computed here in float64. */
async function directLoss(modelPath: string, ids: number[], answerStart: number): Promise<number> {
  const session = await ort.InferenceSession.create(modelPath);
  const n = ids.length;
  const out = await session.run({
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
  });
  const logits = out.logits!.data as Float32Array;
  const V = GPT2_FIXTURE_VOCAB;
  let loss = 0;
  for (let j = answerStart; j < n; j++) {
    const row = Array.from(logits.subarray((j - 1) * V, j * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    loss += lse - row[ids[j]!]!;
  }
  return loss;
}

describe("onnx backend (transformers.js, random GPT-2-shaped fixture)", () => {
  let dir: string;
  let backend: EvalBackend;
  beforeAll(async () => {
    dir = await writeGpt2Fixture(join(await tempDir(), "gpt2"));
    backend = await createOnnxBackend({ modelDir: dir, threads: 1 });
  });

  const examples = [
    { instruction: "Name a colour.", answer: "red", task: "a" },
    { instruction: "Say hello in French.\nBe brief.", answer: "bonjour", task: "b" },
    { instruction: "Écris « été ».", answer: "été", task: "a" },
  ];

  it("scores answer + EOS tokens with the trainer's template, equal to a direct onnxruntime run", async () => {
    const scores = await backend.score(examples);
    expect(backend.maxLength).toBe(TINY_GPT2.positions);
    for (let i = 0; i < examples.length; i++) {
      const x = examples[i]!;
      const prompt = [BOS, ...bytes(promptText(x.instruction))];
      const ids = [...prompt, ...bytes(x.answer), EOS];
      const want = await directLoss(join(dir, "onnx", "model.onnx"), ids, prompt.length);
      expect(scores[i]!.tokens).toBe(bytes(x.answer).length + 1);
      expect(scores[i]!.unfit).toBe(false);
      expect(scores[i]!.truncated).toBe(false);
      expect(scores[i]!.lossSum!).toBeCloseTo(want, 3);
      expect(scores[i]!.task).toBe(x.task);
    }
    // A random model is far from uniform over 259 tokens but in its range.
    expect(scores[0]!.lossSum! / scores[0]!.tokens).toBeGreaterThan(1);
  });

  it("cuts long prompts from the left (BOS kept) and reports an answer that cannot fit as unfit", async () => {
    const small = await createOnnxBackend({ modelDir: dir, threads: 1, maxLength: 20 });
    const x = { instruction: "a long instruction that will not fit", answer: "ok", task: "t" };
    const tooLong = { instruction: "q", answer: "x".repeat(19), task: "t" };
    const [cut, unfit] = await small.score([x, tooLong]);
    const prompt = bytes(promptText(x.instruction));
    const room = 20 - 1 - 3;
    const ids = [BOS, ...prompt.slice(prompt.length - room), ...bytes("ok"), EOS];
    expect(cut!.truncated).toBe(true);
    expect(cut!.tokens).toBe(3);
    expect(cut!.lossSum!).toBeCloseTo(await directLoss(join(dir, "onnx", "model.onnx"), ids, 1 + room), 3);
    expect(unfit).toMatchObject({ unfit: true, lossSum: null, tokens: 0 });
    await small.close();
  });

  it("generates greedily: the argmax continuation of a direct run, decoded", async () => {
    const [text] = await backend.generate([examples[0]!], 5);
    const session = await ort.InferenceSession.create(join(dir, "onnx", "model.onnx"));
    const ids = [BOS, ...bytes(promptText(examples[0]!.instruction))];
    const out: number[] = [];
    for (let s = 0; s < 5; s++) {
      const n = ids.length;
      const r = await session.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
        attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      });
      const row = Array.from(
        (r.logits!.data as Float32Array).subarray((n - 1) * GPT2_FIXTURE_VOCAB, n * GPT2_FIXTURE_VOCAB),
      );
      const best = row.indexOf(Math.max(...row));
      if (best === EOS) break;
      out.push(best);
      ids.push(best);
    }
    expect(out.length).toBeGreaterThan(0);
    const want = Buffer.from(out.filter((t) => t < 256)).toString("utf8");
    expect(text).toBe(want);
  });
});
