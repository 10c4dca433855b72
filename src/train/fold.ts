import { ArrangeError } from "../core/errors.js";
import type { ProgressEvent } from "../core/progress.js";
import { type GenerationScores, scoreGenerations } from "../evaluate/generation.js";
import { aggregateLoss, type ExampleLoss, type LossSummary } from "../evaluate/loss.js";
import {
  type DoneEvent,
  type ErrorEvent,
  type EvalEvent,
  type GenerateEvent,
  ProtocolError,
  type StartEvent,
  type TrainerEvent,
  type UnfitEvent,
} from "../trainer/protocol.js";
import type { TrainExample } from "./examples.js";

/**
 * The fold of the Python trainer's event lines into a run's results: the test-loss curve, the scored
 * generations, the unfit reports, the step order and the end (or error) of the run. A pure function of
 * the previous state and one event: it returns the next state and the progress lines to show, and
 * throws the ArrangeError of an event that ends the run (a diverged test loss, no test answer that fits).
 */

export interface CurvePoint {
  step: number;
  examples: number;
  /** Mean train loss of the steps since the previous point (null at step 0). */
  trainLoss: number | null;
  test: LossSummary;
  /** Greedy generations scored against the test answers, at --generate-at steps. */
  generation?: GenerationScores;
}

/** What the fold needs to know of the run (fixed while it trains). */
export interface FoldContext {
  /** The test examples the trainer evaluates, in its order. */
  evalExamples: readonly TrainExample[];
  /** Their indices in the test set (the sample of --eval-max-examples). */
  evalIndices: readonly number[];
  /** Total training steps (the progress bar's end). */
  steps: number;
  /** Stem words for ROUGE of the generations. */
  stemmer: boolean;
  /** The trainer log, named by the errors. */
  logPath: string;
}

export interface TrainFold {
  points: readonly CurvePoint[];
  unfit: readonly UnfitEvent[];
  /** Step -> example indices ("order" events, with debugOrder). */
  order: readonly number[][];
  /** generations.jsonl lines, without their newline. */
  generations: readonly string[];
  start?: StartEvent;
  done?: DoneEvent;
  error?: ErrorEvent;
  /** Train losses of the steps since the last evaluation. */
  stepLossSum: number;
  stepLossCount: number;
}

export const EMPTY_FOLD: TrainFold = {
  points: [],
  unfit: [],
  order: [],
  generations: [],
  stepLossSum: 0,
  stepLossCount: 0,
};

function fmt(x: number | null): string {
  return x === null ? "-" : x.toFixed(4);
}

/** The curve point of one evaluation: per-example losses checked and aggregated. */
function evalPoint(fold: TrainFold, e: EvalEvent, ctx: FoldContext): CurvePoint {
  const { evalExamples } = ctx;
  if (e.lossSum.length !== evalExamples.length || e.tokens.length !== evalExamples.length)
    throw new ProtocolError(
      `eval event at step ${e.step} has ${e.lossSum.length} results for ${evalExamples.length} test examples`,
      0,
    );
  const losses: ExampleLoss[] = evalExamples.map((x, i) => {
    const lossSum = e.lossSum[i] ?? null;
    const tokens = e.tokens[i]!;
    if (lossSum === null && tokens > 0)
      throw new ArrangeError(
        "trainer",
        `the test loss of example ${ctx.evalIndices[i]} (task ${x.task}) is not finite at step ${e.step}`,
        {
          file: ctx.logPath,
          option: "--lr",
          fix: "training diverged: lower --lr, raise --warmup or keep --clip on",
        },
      );
    return { task: x.task, lossSum, tokens };
  });
  return {
    step: e.step,
    examples: e.examples,
    trainLoss: fold.stepLossCount === 0 ? null : fold.stepLossSum / fold.stepLossCount,
    test: aggregateLoss(losses),
  };
}

/** The generations of one step scored onto its curve point, and their generations.jsonl lines. */
function foldGenerate(fold: TrainFold, e: GenerateEvent, ctx: FoldContext): TrainFold {
  const { evalExamples } = ctx;
  const refs = evalExamples.slice(0, e.outputs.length).map((x) => x.answer);
  const at = fold.points.findIndex((p) => p.step === e.step);
  if (at < 0) throw new ProtocolError(`generate event at step ${e.step} has no eval before it`, 0);
  const generation = scoreGenerations(refs, e.outputs, { stemmer: ctx.stemmer });
  const points = fold.points.slice();
  points[at] = { ...points[at]!, generation };
  const lines = e.outputs.map((prediction, i) => {
    const x = evalExamples[i]!;
    return JSON.stringify({
      step: e.step,
      index: ctx.evalIndices[i],
      task: x.task,
      reference: x.answer,
      prediction,
    });
  });
  return { ...fold, points, generations: [...fold.generations, ...lines] };
}

/** The next state after `event`, and the progress lines it gives. */
export function foldTrainerEvent(
  fold: TrainFold,
  event: TrainerEvent,
  ctx: FoldContext,
): { fold: TrainFold; progress: ProgressEvent[] } {
  switch (event.event) {
    case "start":
      return {
        fold: { ...fold, start: event },
        progress: [
          {
            stage: "train",
            done: 0,
            total: event.steps,
            unit: "steps",
            message: `training ${event.model} on ${event.device} (${event.threads} threads): ${event.trainExamples} ${event.objective === "lm" ? `packed sequences of ${event.maxLength} tokens` : "examples"}, ${event.steps} steps of ${event.batchSize}; ${event.evalExamples} test examples`,
          },
        ],
      };
    case "unfit": {
      if (event.split === "eval" && event.unfit === ctx.evalExamples.length)
        throw new ArrangeError("trainer", `no test answer fits in --max-length ${event.maxLength} tokens`, {
          option: "--max-length",
          fix: "raise --max-length (up to the model's context) or use shorter test answers",
        });
      const progress: ProgressEvent[] =
        event.unfit > 0
          ? [
              {
                stage: "train",
                done: 0,
                unit: "steps",
                message: `${event.unfit} ${event.split} examples have answers longer than --max-length ${event.maxLength} tokens: they are reported and not scored or trained on`,
              },
            ]
          : [];
      return { fold: { ...fold, unfit: [...fold.unfit, event] }, progress };
    }
    case "step":
      return {
        fold:
          event.loss === null
            ? fold
            : { ...fold, stepLossSum: fold.stepLossSum + event.loss, stepLossCount: fold.stepLossCount + 1 },
        progress: [{ stage: "train", done: event.step, total: ctx.steps, unit: "steps" }],
      };
    case "order": {
      const order = fold.order.slice();
      order[event.step] = event.indices;
      return { fold: { ...fold, order }, progress: [] };
    }
    case "eval": {
      const p = evalPoint(fold, event, ctx);
      return {
        fold: { ...fold, points: [...fold.points, p], stepLossSum: 0, stepLossCount: 0 },
        progress: [
          {
            stage: "train",
            done: event.step,
            total: ctx.steps,
            unit: "steps",
            message: `step ${event.step}/${ctx.steps}: train loss ${fmt(p.trainLoss)}, test loss ${fmt(p.test.loss)} (${p.test.examples} examples${p.test.unfit > 0 ? `, ${p.test.unfit} unfit` : ""})`,
          },
        ],
      };
    }
    case "generate":
      return { fold: foldGenerate(fold, event, ctx), progress: [] };
    case "checkpoint":
      return { fold, progress: [] };
    case "done":
      return { fold: { ...fold, done: event }, progress: [] };
    case "error":
      return { fold: { ...fold, error: event }, progress: [] };
  }
}

/** Fold a whole event list (the trainer's output, in order) from the empty state. */
export function foldTrainerEvents(
  events: Iterable<TrainerEvent>,
  ctx: FoldContext,
): { fold: TrainFold; progress: ProgressEvent[] } {
  let fold = EMPTY_FOLD;
  const progress: ProgressEvent[] = [];
  for (const event of events) {
    const next = foldTrainerEvent(fold, event, ctx);
    fold = next.fold;
    progress.push(...next.progress);
  }
  return { fold, progress };
}
