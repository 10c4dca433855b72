import { Command, Option } from "commander";
import { usageError } from "../core/errors.js";
import {
  BUILTIN_SIZES,
  DEVICES,
  type Device,
  DTYPES,
  type Dtype,
  OBJECTIVES,
  type Objective,
  TRAIN_DEFAULTS,
  train,
} from "../train/index.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { intOption, numberOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";

interface TrainFlags extends TrainingFlags {
  train: string;
  test: string;
  outDir: string;
  objective?: Objective;
  evalMaxExamples?: number;
  generateAt?: number[];
  generateMaxExamples?: number;
  maxNewTokens?: number;
  stemmer?: boolean;
  saveAt?: number[];
  seed?: number;
  label?: string;
  taskField?: string;
  skipInvalid?: boolean;
  debugOrder?: boolean;
  overwrite?: boolean;
  quiet?: boolean;
  logJson?: boolean;
}

/** "10,50,100" -> [10, 50, 100]. */
function stepList(flag: string) {
  return (value: string): number[] =>
    value.split(",").map((part) => {
      const t = part.trim();
      if (!/^\d+$/.test(t))
        throw usageError(
          `${flag} takes step numbers separated by commas, got "${value}"`,
          flag,
          `pass e.g. ${flag} 0,50,100`,
        );
      return Number(t);
    });
}

export function trainCommand(): Command {
  const command = new Command("train")
    .description(
      "Instruction-tune a model on a training set in exactly its order (Python + PyTorch backend) and record the\n" +
        "answer-token loss on a test set every --eval-every steps: RUN_DIR/curves.json, which `report` draws.",
    )
    .requiredOption("--train <path>", "training set, trained on in its given order (e.g. arrange's --out)")
    .requiredOption("--test <path>", "test set (unseen tasks) whose loss is recorded")
    .requiredOption("--out-dir <dir>", "run directory: curves.json, run.json, trainer.log, prepared data")
    .addOption(
      new Option(
        "--objective <objective>",
        'instruct: loss on the answer tokens; lm: pretraining, next-token loss on every token of {"text"} rows packed into --max-length sequences (needs --max-steps; save with --save-at, start later runs with --init)',
      )
        .choices(OBJECTIVES)
        .default(TRAIN_DEFAULTS.objective),
    );
  return addTrainingOptions(command)
    .option(
      "--generate-at <steps>",
      "greedy generations on the test set at these steps, scored by ROUGE-1/L and exact match",
      stepList("--generate-at"),
    )
    .option(
      "--generate-max-examples <n>",
      "generate for the first n test examples (default all)",
      intOption("--generate-max-examples", 1, 100),
    )
    .option(
      "--max-new-tokens <n>",
      "tokens per generation (default 64)",
      intOption("--max-new-tokens", 1, 64),
    )
    .option("--stemmer", "ROUGE with the Porter stemmer (rouge-score's use_stemmer=True)")
    .option(
      "--save-at <steps>",
      "save checkpoints at these steps (RUN_DIR/checkpoints/step-N)",
      stepList("--save-at"),
    )
    .option("--seed <n>", "seed for initialization and test sampling (default 0)", intOption("--seed", 0))
    .option("--label <name>", "curve label (default: the run directory's name)")
    .option("--task-field <name>", "record field holding the task name (default: file name in a directory)")
    .option("--skip-invalid", "skip malformed rows instead of failing")
    .option("--debug-order", "record the example indices of every step (events.jsonl-style 'order' events)")
    .option(
      "--overwrite",
      "replace an existing non-empty --out-dir run directory (its files are removed first)",
    )
    .option("--quiet", "no progress or messages on stderr")
    .option("--log-json", "progress, messages and every trainer event as JSON lines on stderr")
    .action(async (flags: TrainFlags) => {
      const mode = pickProgressMode(flags, process.stderr);
      const progress = createProgressRenderer(mode);
      try {
        const { train: data, test: evalSet, outDir, ...rest } = flags;
        const result = await train({
          ...rest,
          data,
          eval: evalSet,
          out: outDir,
          onProgress: progress.sink,
          onEvent:
            mode === "json"
              ? (e) => process.stderr.write(`${JSON.stringify({ ...e, event: `trainer:${e.event}` })}\n`)
              : undefined,
        });
        progress.stop();
        const last = result.curves.points[result.curves.points.length - 1];
        progress.info(
          `trained ${result.curves.steps} steps in ${result.trainSeconds.toFixed(1)} s (${result.stepsPerSecond ?? "-"} steps/s); final test loss ${last?.test.loss?.toFixed(4) ?? "-"} -> ${result.curvesPath}`,
          { curves: result.curvesPath, steps: result.curves.steps, stepsPerSecond: result.stepsPerSecond },
        );
      } finally {
        progress.stop();
      }
    });
}

/** The flags of addTrainingOptions that `train`, `experiment` and `experiment onlyif-threshold` pass on alike. */
export interface TrainingFlags {
  model: string;
  maxLength?: number;
  batchSize?: number;
  gradAccum?: number;
  evalBatchSize?: number;
  lr?: number;
  warmup?: number;
  minLrRatio?: number;
  weightDecay?: number;
  clip?: number;
  epochs?: number;
  maxSteps?: number;
  evalEvery?: number;
  threads?: number;
  device: Device;
  nproc?: number;
  python?: string;
  dtype?: Dtype;
  distTimeout?: number;
  init?: string;
}

/** The shared training flags as train() options (one place, so a new training flag reaches every command). */
export function trainingOptions(
  flags: TrainingFlags,
): Omit<TrainingFlags, "distTimeout"> & { distTimeoutMinutes?: number } {
  return {
    model: flags.model,
    maxLength: flags.maxLength,
    batchSize: flags.batchSize,
    gradAccum: flags.gradAccum,
    evalBatchSize: flags.evalBatchSize,
    lr: flags.lr,
    warmup: flags.warmup,
    minLrRatio: flags.minLrRatio,
    weightDecay: flags.weightDecay,
    clip: flags.clip,
    epochs: flags.epochs,
    maxSteps: flags.maxSteps,
    evalEvery: flags.evalEvery,
    threads: flags.threads,
    device: flags.device,
    nproc: flags.nproc,
    python: flags.python,
    dtype: flags.dtype,
    distTimeoutMinutes: flags.distTimeout,
    init: flags.init,
  };
}

/** The model, optimization, evaluation and runtime options shared by `train` and `experiment`. */
export function addTrainingOptions(command: Command): Command {
  return command
    .option(
      "--model <model>",
      `builtin:${BUILTIN_SIZES.join("|builtin:")} (trained from scratch, byte-level) or a Hugging Face causal-LM directory`,
      CLI_DEFAULTS.model,
    )
    .option(
      "--init <checkpoint>",
      "start a built-in model from this checkpoint directory (RUN_DIR/checkpoints/step-N of `train --save-at`) instead of random weights",
    )
    .option(
      "--max-length <n>",
      "tokens per example; prompts are cut from the left (default: model context)",
      intOption("--max-length", 2, 512),
    )
    .option(
      "--batch-size <n>",
      "examples per optimizer step (global) (default 16)",
      intOption("--batch-size", 1, 16),
    )
    .option("--grad-accum <n>", "micro-batches per step (default 1)", intOption("--grad-accum", 1, 2))
    .option(
      "--eval-batch-size <n>",
      "test examples per forward pass (default 16)",
      intOption("--eval-batch-size", 1, 16),
    )
    .option(
      "--lr <x>",
      "peak learning rate (default 1e-3 built-in, 2e-5 model directory)",
      numberOption("--lr", "1e-3"),
    )
    .option("--warmup <n>", "linear warm-up steps (default 10)", intOption("--warmup", 0, 10))
    .option(
      "--min-lr-ratio <x>",
      "cosine floor as a fraction of --lr (default 0.1)",
      numberOption("--min-lr-ratio", "0.1"),
    )
    .option("--weight-decay <x>", "AdamW weight decay (default 0)", numberOption("--weight-decay", "0.01"))
    .option("--clip <x>", "gradient-norm clipping, 0 = off (default 1)", numberOption("--clip", "1"))
    .option(
      "--epochs <n>",
      "passes over the data, each in the same order (default 1)",
      intOption("--epochs", 1),
    )
    .option(
      "--max-steps <n>",
      "stop after n steps (the order repeats if needed)",
      intOption("--max-steps", 1, 100),
    )
    .option(
      "--eval-every <n>",
      "steps between test evaluations (default 10)",
      intOption("--eval-every", 1, 10),
    )
    .option(
      "--eval-max-examples <n>",
      "test on n examples drawn with --seed (default all)",
      intOption("--eval-max-examples", 1, 200),
    )
    .option("--threads <n>", "CPU threads for PyTorch (default: PyTorch's)", intOption("--threads", 1, 2))
    .addOption(
      new Option("--device <device>", "where to train").choices(DEVICES).default(CLI_DEFAULTS.device),
    )
    .addOption(
      new Option(
        "--dtype <dtype>",
        "model directory: precision of the weights in training (default float32; auto = as saved, often bf16)",
      ).choices(DTYPES),
    )
    .option(
      "--dist-timeout <minutes>",
      `with --nproc > 1: minutes a process waits for the others, e.g. while rank 0 evaluates (default ${TRAIN_DEFAULTS.distTimeoutMinutes})`,
      intOption("--dist-timeout", 1, TRAIN_DEFAULTS.distTimeoutMinutes),
    )
    .option(
      "--nproc <n>",
      "data-parallel processes (DDP), each on a strided slice of every batch (default 1)",
      intOption("--nproc", 1, 2),
    )
    .option(
      "--python <path>",
      "Python with PyTorch (default: $INSTRUCT_ARRANGE_PYTHON, python3, /usr/bin/python3)",
    );
}
