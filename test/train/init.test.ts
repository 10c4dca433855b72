import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { train } from "../../src/train/index.js";
import { resolveSettings } from "../../src/train/options.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";
import { describeTorch, TORCH_PYTHON } from "../helpers/torch.js";

const TINY = { model: "builtin:tiny", threads: 1, python: TORCH_PYTHON ?? undefined } as const;

describe("--init settings", () => {
  it("refuses a directory without model.pt, and --init with a model directory, naming --init", async () => {
    const dir = await tempDir();
    expect(() => resolveSettings({ init: join(dir, "missing") })).toThrow(/--init .*no model\.pt/);
    expect(() => resolveSettings({ init: dir, model: dir })).toThrow(/model directory is its own start/);
  });

  it("records the checkpoint's path and the SHA-256 of its weights", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "model.pt"), "abc");
    expect(resolveSettings({ init: dir }).init).toEqual({
      path: dir,
      sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
    expect(resolveSettings({}).init).toBeNull();
  });
});

describeTorch("train --init (PyTorch backend)", () => {
  it("starts from the checkpoint: its step-0 test loss is the saving run's loss at the saved step", async () => {
    const dir = await tempDir();
    const common = { ...TINY, eval: EXAMPLE_TEST, evalMaxExamples: 20, evalEvery: 3, seed: 5 };
    const first = await train({
      ...common,
      data: EXAMPLE_TRAIN,
      out: join(dir, "first"),
      maxSteps: 3,
      saveAt: [3],
    });
    const saved = first.curves.points.find((p) => p.step === 3)!.test.loss;
    const fresh = first.curves.points.find((p) => p.step === 0)!.test.loss;
    const second = await train({
      ...common,
      data: EXAMPLE_TRAIN,
      out: join(dir, "second"),
      maxSteps: 3,
      init: join(dir, "first", "checkpoints", "step-3"),
    });
    const start = second.curves.points.find((p) => p.step === 0)!.test.loss;
    expect(start).toBeCloseTo(saved!, 6);
    expect(Math.abs(start! - fresh!)).toBeGreaterThan(0.005); // 3 warm-up steps move it by about 0.016
    expect(second.start.model).toMatch(/weights from .*step-3/);
  }, 120_000);
});
