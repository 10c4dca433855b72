import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { EMPTY_FOLD, type FoldContext, foldTrainerEvent, foldTrainerEvents } from "../../src/train/fold.js";
import type { TrainerEvent } from "../../src/trainer/protocol.js";

const ctx: FoldContext = {
  evalExamples: [
    { instruction: "2+2", answer: "four", task: "math" },
    { instruction: "capital of France", answer: "Paris", task: "geo" },
  ],
  evalIndices: [7, 3],
  steps: 4,
  stemmer: false,
  logPath: "/runs/a/trainer.log",
};

const start: TrainerEvent = {
  event: "start",
  protocol: 1,
  model: "builtin:tiny",
  device: "cpu",
  torch: "2.1",
  threads: 1,
  world: 1,
  trainExamples: 8,
  evalExamples: 2,
  steps: 4,
  batchSize: 2,
  maxLength: 64,
};
const step = (n: number, loss: number | null): TrainerEvent => ({
  event: "step",
  step: n,
  examples: 2 * n,
  loss,
  tokens: 10,
  lr: 1e-3,
  seconds: 0.1,
});
const evalAt = (n: number, lossSum: (number | null)[], tokens: number[]): TrainerEvent => ({
  event: "eval",
  step: n,
  examples: 2 * n,
  lossSum,
  tokens,
});

describe("trainer-event fold", () => {
  it("folds a run into its curve: train loss since the last eval, per-example test loss, the end", () => {
    const events: TrainerEvent[] = [
      start,
      evalAt(0, [4, 6], [2, 3]),
      step(1, 3),
      step(2, null),
      step(3, 2),
      evalAt(3, [2, 3], [2, 3]),
      step(4, 1),
      evalAt(4, [1, 1.5], [2, 3]),
      { event: "done", steps: 4, trainSeconds: 1.5, stepsPerSecond: 2.5 },
    ];
    const { fold, progress } = foldTrainerEvents(events, ctx);
    expect(fold.start).toEqual(start);
    expect(fold.done).toEqual({ event: "done", steps: 4, trainSeconds: 1.5, stepsPerSecond: 2.5 });
    expect(fold.error).toBeUndefined();
    // Step losses are averaged over the steps that had one (step 2 had none) and reset at each eval.
    expect(fold.points.map((p) => [p.step, p.examples, p.trainLoss])).toEqual([
      [0, 0, null],
      [3, 6, 2.5],
      [4, 8, 1],
    ]);
    // The test loss: per example summed loss / tokens, then the mean over examples.
    expect(fold.points[0]!.test.loss).toBeCloseTo((4 / 2 + 6 / 3) / 2, 12);
    expect(fold.points[1]!.test.perTask).toEqual({ math: 1, geo: 1 });
    expect(progress[0]!.message).toBe(
      "training builtin:tiny on cpu (1 threads): 8 examples, 4 steps of 2; 2 test examples",
    );
    expect(progress.at(-1)).toEqual({
      stage: "train",
      done: 4,
      total: 4,
      unit: "steps",
      message: "step 4/4: train loss 1.0000, test loss 0.5000 (2 examples)",
    });
    expect(progress.filter((p) => p.message === undefined).map((p) => p.done)).toEqual([1, 2, 3, 4]);
  });

  it("is pure: the previous state is left as it was", () => {
    const a = foldTrainerEvent(EMPTY_FOLD, start, ctx).fold;
    const b = foldTrainerEvent(a, evalAt(0, [4, 6], [2, 3]), ctx).fold;
    const c = foldTrainerEvent(b, { event: "generate", step: 0, outputs: ["four", "Rome"] }, ctx).fold;
    expect(EMPTY_FOLD.points).toEqual([]);
    expect(a.points).toEqual([]);
    expect(b.points[0]!.generation).toBeUndefined();
    expect(c.points[0]!.generation).toBeDefined();
    expect(b.generations).toEqual([]);
  });

  it("scores generations onto their step and writes one line per output with the test index", () => {
    const { fold } = foldTrainerEvents(
      [start, evalAt(2, [1, 1], [1, 1]), { event: "generate", step: 2, outputs: ["four", "Rome"] }],
      ctx,
    );
    expect(fold.points[0]!.generation!.exactMatch).toBe(0.5);
    expect(fold.generations.map((g) => JSON.parse(g))).toEqual([
      { step: 2, index: 7, task: "math", reference: "four", prediction: "four" },
      { step: 2, index: 3, task: "geo", reference: "Paris", prediction: "Rome" },
    ]);
  });

  it("keeps unfit reports and the step order; an error event is kept for the end of the run", () => {
    const unfit: TrainerEvent = {
      event: "unfit",
      split: "train",
      maxLength: 64,
      unfit: 1,
      indices: [5],
      truncatedPrompts: 0,
    };
    const { fold, progress } = foldTrainerEvents(
      [
        start,
        unfit,
        { event: "order", step: 1, positions: [0, 1], indices: [4, 2] },
        { event: "error", kind: "config", message: "bad lr" },
      ],
      ctx,
    );
    expect(fold.unfit).toEqual([unfit]);
    expect(fold.order[1]).toEqual([4, 2]);
    expect(fold.error).toEqual({ event: "error", kind: "config", message: "bad lr" });
    expect(progress[1]!.message).toMatch(/^1 train examples have answers longer than --max-length 64 tokens/);
  });

  it("throws a named error for a diverged test loss, no fitting test answer, and protocol mismatches", () => {
    const diverged = () => foldTrainerEvents([start, evalAt(1, [1, null], [1, 2])], ctx);
    expect(diverged).toThrow(ArrangeError);
    expect(diverged).toThrow("the test loss of example 3 (task geo) is not finite at step 1");
    const allUnfit: TrainerEvent = {
      event: "unfit",
      split: "eval",
      maxLength: 8,
      unfit: 2,
      indices: [0, 1],
      truncatedPrompts: 0,
    };
    expect(() => foldTrainerEvents([allUnfit], ctx)).toThrow("no test answer fits in --max-length 8 tokens");
    expect(() => foldTrainerEvents([evalAt(1, [1], [1])], ctx)).toThrow(
      "eval event at step 1 has 1 results for 2 test examples",
    );
    expect(() => foldTrainerEvents([{ event: "generate", step: 5, outputs: ["x"] }], ctx)).toThrow(
      "generate event at step 5 has no eval before it",
    );
  });
});
