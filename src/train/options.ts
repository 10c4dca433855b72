import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { usageError } from "../core/errors.js";

/** Built-in model sizes (trainer/instruct_trainer/model.py SIZES). */
export const BUILTIN_SIZES = ["tiny", "mini", "small", "base"] as const;
export const DEVICES = ["auto", "cpu", "cuda"] as const;
export type Device = (typeof DEVICES)[number];
/** Precision of a Hugging Face model's weights in training ("auto": as saved, usually bf16 in transformers 5.x). */
export const DTYPES = ["float32", "bfloat16", "float16", "auto"] as const;
export type Dtype = (typeof DTYPES)[number];
/**
 * instruct: loss on the answer tokens of instruction/answer rows (instruction tuning); lm: next-token loss
 * on every token of {"text"} rows packed into --max-length sequences (pretraining a built-in model).
 */
export const OBJECTIVES = ["instruct", "lm"] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface TrainSettings {
  model: string;
  objective: Objective;
  maxLength: number | null;
  batchSize: number;
  gradAccum: number;
  evalBatchSize: number;
  lr: number;
  warmup: number;
  minLrRatio: number;
  weightDecay: number;
  clip: number;
  epochs: number;
  maxSteps: number | null;
  evalEvery: number;
  evalMaxExamples: number | null;
  generateAt: number[];
  generateMaxExamples: number | null;
  maxNewTokens: number;
  stemmer: boolean;
  saveAt: number[];
  seed: number;
  threads: number | null;
  device: Device;
  nproc: number;
  /** Weights' precision for a model directory (builtin models train in float32). */
  dtype: Dtype;
  /** Minutes a process of a multi-process run waits for the others (e.g. while rank 0 evaluates). */
  distTimeoutMinutes: number;
  /**
   * A built-in model's checkpoint directory (RUN_DIR/checkpoints/step-N) to start from instead of random
   * weights, with the SHA-256 of its model.pt (so a resumed experiment notices a changed checkpoint).
   */
  init: { path: string; sha256: string } | null;
}

/** What resolveSettings takes: any subset of the settings, --init as a path (or an already resolved one). */
export type SettingsInput = Omit<Partial<TrainSettings>, "init"> & {
  init?: string | { path: string; sha256?: string } | null;
};

export const TRAIN_DEFAULTS = {
  model: "builtin:mini",
  objective: "instruct" as Objective,
  batchSize: 16,
  gradAccum: 1,
  evalBatchSize: 16,
  /** Learning rate for built-in models trained from scratch; model directories default to 2e-5. */
  lr: 1e-3,
  lrPretrained: 2e-5,
  warmup: 10,
  minLrRatio: 0.1,
  weightDecay: 0,
  clip: 1,
  epochs: 1,
  evalEvery: 10,
  maxNewTokens: 64,
  seed: 0,
  device: "auto" as Device,
  nproc: 1,
  dtype: "float32" as Dtype,
  /**
   * torch.distributed's NCCL default is 10 minutes; rank-0 evaluation and generation of a large test set on
   * a big model take longer while the other ranks wait in the next collective.
   */
  distTimeoutMinutes: 120,
};

function int(value: number | undefined, fallback: number, flag: string, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min)
    throw usageError(
      `${flag} must be an integer >= ${min}, got ${v}`,
      flag,
      `pass e.g. ${flag} ${Math.max(min, fallback)}`,
    );
  return v;
}

function optInt(value: number | undefined, flag: string, min: number): number | null {
  return value === undefined ? null : int(value, min, flag, min);
}

function num(
  value: number | undefined,
  fallback: number,
  flag: string,
  min: number,
  max = Infinity,
  open = false,
): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max || (open && v === min))
    throw usageError(
      `${flag} must be a number ${open ? ">" : ">="} ${min}${max < Infinity ? ` and <= ${max}` : ""}, got ${v}`,
      flag,
      `pass e.g. ${flag} ${fallback}`,
    );
  return v;
}

function steps(list: number[] | undefined, flag: string): number[] {
  const out = [...new Set(list ?? [])].sort((a, b) => a - b);
  for (const s of out) int(s, 0, flag, 0);
  return out;
}

export function isBuiltinModel(model: string): boolean {
  return model === "builtin" || model.startsWith("builtin:");
}

/** Checks every setting before the trainer is launched; a bad value is a usage error naming its option. */
export function resolveSettings(o: SettingsInput): TrainSettings {
  const model = o.model ?? TRAIN_DEFAULTS.model;
  if (isBuiltinModel(model)) {
    const size = model.includes(":") ? model.slice(model.indexOf(":") + 1) : "mini";
    if (!(BUILTIN_SIZES as readonly string[]).includes(size))
      throw usageError(
        `unknown built-in model size "${size}"`,
        "--model",
        `use one of: ${BUILTIN_SIZES.map((s) => `builtin:${s}`).join(", ")}, or a Hugging Face model directory`,
      );
  } else if (!existsSync(model) || !statSync(model).isDirectory()) {
    throw usageError(
      `--model "${model}" is neither builtin:<size> nor an existing model directory`,
      "--model",
      `use builtin:${BUILTIN_SIZES.join("|builtin:")} or the path of a Hugging Face causal-LM directory`,
    );
  }
  const batchSize = int(o.batchSize, TRAIN_DEFAULTS.batchSize, "--batch-size", 1);
  const gradAccum = int(o.gradAccum, TRAIN_DEFAULTS.gradAccum, "--grad-accum", 1);
  if (gradAccum > batchSize)
    throw usageError(
      `--grad-accum ${gradAccum} is larger than --batch-size ${batchSize}`,
      "--grad-accum",
      "--batch-size is the global batch per optimizer step; make --grad-accum a divisor of it",
    );
  const nproc = int(o.nproc, TRAIN_DEFAULTS.nproc, "--nproc", 1);
  if (nproc > batchSize)
    throw usageError(
      `--nproc ${nproc} is larger than --batch-size ${batchSize}`,
      "--nproc",
      "use fewer processes",
    );
  const maxLength = optInt(o.maxLength ?? undefined, "--max-length", 2);
  const device = o.device ?? TRAIN_DEFAULTS.device;
  if (!(DEVICES as readonly string[]).includes(device))
    throw usageError(`--device must be one of ${DEVICES.join(", ")}, got "${device}"`, "--device");
  const dtype = o.dtype ?? TRAIN_DEFAULTS.dtype;
  if (!(DTYPES as readonly string[]).includes(dtype))
    throw usageError(`--dtype must be one of ${DTYPES.join(", ")}, got "${dtype}"`, "--dtype");
  if (isBuiltinModel(model) && dtype !== "float32")
    throw usageError(
      `--dtype ${dtype}: built-in models train in float32`,
      "--dtype",
      "drop --dtype, or use it with a Hugging Face model directory",
    );
  const objective = o.objective ?? TRAIN_DEFAULTS.objective;
  if (!(OBJECTIVES as readonly string[]).includes(objective))
    throw usageError(
      `--objective must be one of ${OBJECTIVES.join(", ")}, got "${objective}"`,
      "--objective",
    );
  const maxSteps = optInt(o.maxSteps ?? undefined, "--max-steps", 1);
  if (objective === "lm" && maxSteps === null)
    throw usageError(
      "--objective lm needs --max-steps: the texts are packed into --max-length sequences, whose count depends on the tokenizer",
      "--max-steps",
      "pass e.g. --max-steps 2000",
    );
  return {
    model,
    objective,
    init: initCheckpoint(o.init, model),
    maxLength,
    batchSize,
    gradAccum,
    evalBatchSize: int(o.evalBatchSize, TRAIN_DEFAULTS.evalBatchSize, "--eval-batch-size", 1),
    lr: num(
      o.lr,
      isBuiltinModel(model) ? TRAIN_DEFAULTS.lr : TRAIN_DEFAULTS.lrPretrained,
      "--lr",
      0,
      Infinity,
      true,
    ),
    warmup: int(o.warmup, TRAIN_DEFAULTS.warmup, "--warmup", 0),
    minLrRatio: num(o.minLrRatio, TRAIN_DEFAULTS.minLrRatio, "--min-lr-ratio", 0, 1),
    weightDecay: num(o.weightDecay, TRAIN_DEFAULTS.weightDecay, "--weight-decay", 0),
    clip: num(o.clip, TRAIN_DEFAULTS.clip, "--clip", 0),
    epochs: int(o.epochs, TRAIN_DEFAULTS.epochs, "--epochs", 1),
    maxSteps,
    evalEvery: int(o.evalEvery, TRAIN_DEFAULTS.evalEvery, "--eval-every", 1),
    evalMaxExamples: optInt(o.evalMaxExamples ?? undefined, "--eval-max-examples", 1),
    generateAt: steps(o.generateAt, "--generate-at"),
    generateMaxExamples: optInt(o.generateMaxExamples ?? undefined, "--generate-max-examples", 1),
    maxNewTokens: int(o.maxNewTokens, TRAIN_DEFAULTS.maxNewTokens, "--max-new-tokens", 1),
    stemmer: o.stemmer ?? false,
    saveAt: steps(o.saveAt, "--save-at"),
    seed: int(o.seed, TRAIN_DEFAULTS.seed, "--seed", 0),
    threads: optInt(o.threads ?? undefined, "--threads", 1),
    device,
    nproc,
    dtype,
    distTimeoutMinutes: int(o.distTimeoutMinutes, TRAIN_DEFAULTS.distTimeoutMinutes, "--dist-timeout", 1),
  };
}

/**
 * The --init checkpoint: a directory with the built-in model's config.json and model.pt (the shape is
 * checked against --model by the trainer, which reads config.json).
 */
function initCheckpoint(init: SettingsInput["init"], model: string): { path: string; sha256: string } | null {
  if (init === undefined || init === null) return null;
  const path = resolve(typeof init === "string" ? init : init.path);
  if (!isBuiltinModel(model))
    throw usageError(
      "--init starts a built-in model from its checkpoint; a model directory is its own start",
      "--init",
      "drop --init, or pass the checkpoint directory as --model",
    );
  const weights = join(path, "model.pt");
  if (!existsSync(path) || !statSync(path).isDirectory() || !existsSync(weights))
    throw usageError(
      `--init "${path}" is not a built-in model's checkpoint directory (no model.pt there)`,
      "--init",
      "pass a RUN_DIR/checkpoints/step-N directory of an earlier `train --save-at N` run",
    );
  return { path, sha256: createHash("sha256").update(readFileSync(weights)).digest("hex") };
}

/**
 * What of a run's training options a resumable experiment keys its runs by: everything but the Python
 * that runs them and the progress sink, with --init as its path and the SHA-256 of its weights (a
 * checkpoint rewritten at the same path is a new start). Without --init the key is the options as given.
 */
export function trainingResumeKey(
  o: SettingsInput & { python?: string; onProgress?: unknown },
): Record<string, unknown> {
  const { python: _python, onProgress: _progress, init, ...rest } = o;
  return init === undefined || init === null
    ? rest
    : { ...rest, init: initCheckpoint(init, o.model ?? TRAIN_DEFAULTS.model) };
}

/** Optimizer steps a run takes over `examples` training rows. */
export function totalSteps(s: TrainSettings, examples: number): number {
  return s.maxSteps ?? Math.ceil((examples * s.epochs) / s.batchSize);
}
