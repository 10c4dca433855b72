import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregateLoss } from "../../src/evaluate/loss.js";
import { promptText } from "../../src/evaluate/template.js";
import { writeGpt2Fixture } from "../../src/evaluate/testing/gpt2-fixture.js";
import { evaluate } from "../../src/pipeline/evaluate.js";
import { readExamples, sampleExamples } from "../../src/train/examples.js";
import { train } from "../../src/train/index.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";
import { describeTorch, TORCH_PYTHON } from "../helpers/torch.js";
import { startToyServer, type ToyServer, toyLogprob } from "./toy-completions-server.js";

/** The built CLI in a child process, without blocking this process (the toy server runs here). */
const cliAsync = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliAsync(args, { env });

describe("evaluate command", () => {
  requireBuiltCli();
  let server: ToyServer;
  beforeAll(async () => {
    server = await startToyServer(256);
  });
  afterAll(async () => {
    await server.close();
  });

  it("openai backend end to end: results JSON with the loss computed by hand, ROUGE/EM, key kept secret", async () => {
    const dir = await tempDir();
    const out = join(dir, "results.json");
    const r = await cliAsync(
      [
        "evaluate",
        "--data",
        EXAMPLE_TEST,
        "--backend",
        "openai",
        "--endpoint",
        server.url,
        "--model",
        "toy",
        "--api-key-env",
        "EVAL_KEY",
        "--max-examples",
        "12",
        "--generate",
        "--max-new-tokens",
        "8",
        "--out",
        out,
        "--log-json",
      ],
      { EVAL_KEY: "top-secret-key" },
    );
    expect(r.stderr).not.toContain("top-secret-key");
    expect(r.code).toBe(0);
    const results = JSON.parse(await readFile(out, "utf8"));
    const { examples: all } = await readExamples(EXAMPLE_TEST, { option: "--data" });
    const { items, indices } = sampleExamples(all, 12, 0);
    const want = aggregateLoss(
      items.map((x) => {
        const start = 1 + Array.from(promptText(x.instruction)).length;
        const chars = Array.from(x.answer);
        return {
          task: x.task,
          lossSum: chars.reduce((s, c, j) => s - toyLogprob(c, start + j), 0),
          tokens: chars.length,
        };
      }),
    );
    expect(results).toMatchObject({
      tool: "instruct-arrange",
      kind: "evaluate",
      backend: "openai",
      model: "toy",
    });
    expect(results.sample).toEqual(indices);
    expect(results.loss.loss).toBeCloseTo(want.loss!, 10);
    expect(results.loss.tokenLoss).toBeCloseTo(want.tokenLoss!, 10);
    expect(Object.keys(results.loss.perTask)).toEqual(Object.keys(want.perTask));
    expect(results.maxLength).toBe(255);
    expect(results.scoresEos).toBe(false);
    expect(JSON.stringify(results)).not.toContain("top-secret-key");
    // The toy model answers with the upper-cased instruction: never an exact match, some ROUGE overlap.
    expect(results.generation.outputs).toHaveLength(12);
    expect(results.generation.outputs[0].prediction).toBe(items[0]!.instruction.toUpperCase().slice(0, 8));
    expect(results.generation.exactMatch).toBe(0);
  });

  it("onnx backend through the pipeline: deterministic bytes, unfit examples counted, never NaN", async () => {
    const dir = await tempDir();
    const model = await writeGpt2Fixture(join(dir, "gpt2"));
    const run = (out: string) =>
      evaluate({
        data: EXAMPLE_TEST,
        backend: "onnx",
        modelDir: model,
        maxLength: 40,
        maxExamples: 30,
        threads: 1,
        out,
      });
    const a = await run(join(dir, "a.json"));
    await run(join(dir, "b.json"));
    expect(await readFile(join(dir, "a.json"), "utf8")).toBe(await readFile(join(dir, "b.json"), "utf8"));
    expect(a.results.loss.examples + a.results.loss.unfit).toBe(30);
    expect(Number.isFinite(a.results.loss.loss)).toBe(true);
    expect(a.results.truncatedPrompts).toBeGreaterThan(0);
  });

  it("usage errors name the option and the fix", () => {
    const r = cli(["evaluate", "--data", EXAMPLE_TEST, "--backend", "openai", "--out", "/tmp/x.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --endpoint/);
    const c = cli([
      "evaluate",
      "--data",
      EXAMPLE_TEST,
      "--backend",
      "checkpoint",
      "--checkpoint",
      "/nonexistent",
      "--out",
      "/tmp/x.json",
    ]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/not a directory[\s\S]*train --save-at/);
    const o = cli([
      "evaluate",
      "--data",
      EXAMPLE_TEST,
      "--backend",
      "onnx",
      "--model-dir",
      "/tmp",
      "--out",
      "/tmp/x.json",
    ]);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/lacks config.json/);
  });
});

describeTorch("evaluate --backend checkpoint", () => {
  it("gives the in-loop test loss and generations of the checkpoint's step on the same examples", async () => {
    const dir = await tempDir();
    const run = await train({
      model: "builtin:tiny",
      threads: 1,
      python: TORCH_PYTHON ?? undefined,
      data: EXAMPLE_TRAIN,
      eval: EXAMPLE_TEST,
      out: join(dir, "run"),
      maxSteps: 3,
      evalEvery: 3,
      evalMaxExamples: 24,
      generateAt: [3],
      generateMaxExamples: 4,
      maxNewTokens: 6,
      saveAt: [3],
    });
    const point = run.curves.points.find((p) => p.step === 3)!;
    const r = await evaluate({
      data: EXAMPLE_TEST,
      backend: "checkpoint",
      checkpoint: join(run.runDir, "checkpoints", "step-3"),
      python: TORCH_PYTHON ?? undefined,
      threads: 1,
      maxExamples: 24,
      generate: true,
      generateMaxExamples: 4,
      maxNewTokens: 6,
      out: join(dir, "eval.json"),
    });
    expect(r.results.loss.examples).toBe(point.test.examples);
    expect(r.results.loss.unfit).toBe(point.test.unfit);
    expect(r.results.loss.loss).toBeCloseTo(point.test.loss!, 9);
    expect(r.results.loss.tokenLoss).toBeCloseTo(point.test.tokenLoss!, 9);
    for (const [task, v] of Object.entries(point.test.perTask))
      expect(r.results.loss.perTask[task]).toBeCloseTo(v, 9);
    const inLoop = (await readFile(join(run.runDir, "generations.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).prediction);
    expect(r.results.generation!.outputs.map((o) => o.prediction)).toEqual(inLoop);
    expect(r.results.generation!.rouge1).toBeCloseTo(point.generation!.rouge1, 12);
    expect(r.results.model).toMatch(/checkpoint .*step-3/);
  });

  it("a directory that is not a checkpoint is a clear error", async () => {
    const dir = await tempDir();
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "config.json"), JSON.stringify({ model: "builtin", config: { n_layer: 1 } }));
    await expect(
      evaluate({
        data: EXAMPLE_TEST,
        backend: "checkpoint",
        checkpoint: dir,
        python: TORCH_PYTHON ?? undefined,
        out: join(dir, "o.json"),
      }),
    ).rejects.toThrow(/no model.pt/);
  });
});
