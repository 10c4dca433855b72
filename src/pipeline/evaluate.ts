import { resolve } from "node:path";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { atomicWrite, writeAll } from "../data/atomic.js";
import { checkOutputPaths } from "../data/outputs.js";
import type { EvalBackend, EvalExample, ExampleScore } from "../evaluate/backends/types.js";
import { type GenerationScores, scoreGenerations } from "../evaluate/generation.js";
import { aggregateLoss, type LossSummary } from "../evaluate/loss.js";
import { PROMPT_TEMPLATE } from "../evaluate/template.js";
import { readExamples, sampleExamples } from "../train/examples.js";
import { VERSION } from "../version.js";

export const EVAL_BACKENDS = ["openai", "onnx", "checkpoint"] as const;
export type EvalBackendName = (typeof EVAL_BACKENDS)[number];

export interface EvaluateOptions {
  data: string;
  backend: EvalBackendName;
  out: string;
  endpoint?: string;
  model?: string;
  apiKeyEnv?: string;
  eosText?: string;
  echoMaxTokens?: number;
  concurrency?: number;
  timeout?: number;
  retries?: number;
  modelDir?: string;
  quantized?: boolean;
  checkpoint?: string;
  python?: string;
  device?: "auto" | "cpu" | "cuda";
  maxLength?: number;
  batchSize?: number;
  threads?: number;
  generate?: boolean;
  maxNewTokens?: number;
  generateMaxExamples?: number;
  stemmer?: boolean;
  maxExamples?: number;
  seed?: number;
  taskField?: string;
  skipInvalid?: boolean;
  onProgress?: ProgressSink;
  /** Tests pass their own environment (the key variable). */
  env?: Record<string, string | undefined>;
}

/** The results file (`--out`): see README, "evaluate". No timings, so equal inputs give equal bytes. */
export interface EvaluateResults {
  tool: "instruct-arrange";
  version: string;
  kind: "evaluate";
  backend: EvalBackendName;
  model: string;
  details: Record<string, unknown>;
  data: string;
  template: string;
  maxLength: number | null;
  scoresEos: boolean;
  seed: number;
  /** Input row indices of the evaluated examples when --max-examples sampled them, else null. */
  sample: number[] | null;
  examples: number;
  loss: LossSummary;
  /** Input row indices of the examples whose answer could not fit. */
  unfit: number[];
  truncatedPrompts: number;
  generation:
    | (GenerationScores & {
        maxNewTokens: number;
        stemmer: boolean;
        outputs: { index: number; task: string; reference: string; prediction: string }[];
      })
    | null;
}

export interface EvaluateResult {
  results: EvaluateResults;
  path: string;
  scores: ExampleScore[];
  seconds: number;
}

async function createBackend(o: EvaluateOptions, onProgress: ProgressSink): Promise<EvalBackend> {
  switch (o.backend) {
    case "openai": {
      const { createOpenAIBackend } = await import("../evaluate/backends/openai.js");
      return createOpenAIBackend({
        endpoint: o.endpoint ?? "",
        model: o.model ?? "",
        apiKeyEnv: o.apiKeyEnv,
        maxLength: o.maxLength,
        eosText: o.eosText,
        echoMaxTokens: o.echoMaxTokens,
        batchSize: o.batchSize,
        concurrency: o.concurrency,
        timeout: o.timeout,
        retries: o.retries,
        env: o.env,
        onProgress,
      });
    }
    case "onnx": {
      const { createOnnxBackend } = await import("../evaluate/backends/onnx.js");
      return createOnnxBackend({
        modelDir: o.modelDir ?? "",
        maxLength: o.maxLength,
        threads: o.threads,
        quantized: o.quantized,
      });
    }
    case "checkpoint": {
      if (o.checkpoint === undefined)
        throw usageError(
          "--backend checkpoint needs --checkpoint",
          "--checkpoint",
          "pass a directory written by `train --save-at`, e.g. RUN_DIR/checkpoints/step-100",
        );
      const { createCheckpointBackend } = await import("../evaluate/backends/checkpoint.js");
      return createCheckpointBackend({
        checkpoint: o.checkpoint,
        maxLength: o.maxLength,
        batchSize: o.batchSize,
        python: o.python,
        device: o.device,
        threads: o.threads,
        seed: o.seed,
      });
    }
    default:
      throw usageError(
        `unknown backend "${String(o.backend)}"`,
        "--backend",
        `use one of: ${EVAL_BACKENDS.join(", ")}`,
      );
  }
}

/**
 * Score TEST's answers (loss: answer-token cross-entropy, mean per example then over examples; token
 * weighted; per task) with a backend and, with `generate`, score greedy generations (ROUGE-1/L, exact
 * match); writes the results JSON atomically.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const t0 = performance.now();
  const onProgress = options.onProgress ?? noProgress;
  const seed = options.seed ?? 0;
  const maxNewTokens = options.maxNewTokens ?? 64;
  if (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 1)
    throw usageError(`--max-new-tokens must be an integer >= 1, got ${maxNewTokens}`, "--max-new-tokens");
  await checkOutputPaths(
    [
      { flag: "--test", path: options.data },
      { flag: "--checkpoint", path: options.checkpoint, notData: true },
      { flag: "--model-dir", path: options.modelDir, notData: true },
    ],
    [{ flag: "--out", path: options.out, kind: "file" }],
  );
  const { examples: all } = await readExamples(options.data, {
    option: "--test",
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
  });
  const sample = sampleExamples(all, options.maxExamples, seed);
  const examples: EvalExample[] = sample.items;
  onProgress({
    stage: "evaluate",
    done: 0,
    total: examples.length,
    unit: "examples",
    message: `${examples.length} test examples${options.maxExamples !== undefined && options.maxExamples < all.length ? ` drawn from ${all.length}` : ""}; backend ${options.backend}`,
  });
  const backend = await createBackend(options, onProgress);
  try {
    const scores = await backend.score(examples, onProgress);
    const loss = aggregateLoss(scores);
    const unfit = scores.flatMap((s, i) => (s.unfit ? [sample.indices[i]!] : []));
    if (unfit.length === examples.length)
      throw usageError(
        `no test answer fits in ${backend.maxLength ?? "the model's"} tokens`,
        "--max-length",
        "raise --max-length (up to the model's context) or use shorter test answers",
      );
    if (unfit.length > 0)
      onProgress({
        stage: "evaluate",
        done: examples.length,
        unit: "examples",
        message: `${unfit.length} examples have answers longer than the ${backend.maxLength ?? ""} token limit: reported as unfit, not scored`,
      });
    let generation: EvaluateResults["generation"] = null;
    if (options.generate === true) {
      const n = Math.min(examples.length, options.generateMaxExamples ?? examples.length);
      const subset = examples.slice(0, n);
      const predictions = await backend.generate(subset, maxNewTokens, onProgress);
      const references = subset.map((x) => x.answer);
      const stemmer = options.stemmer === true;
      generation = {
        ...scoreGenerations(references, predictions, { stemmer }),
        maxNewTokens,
        stemmer,
        outputs: subset.map((x, i) => ({
          index: sample.indices[i]!,
          task: x.task,
          reference: x.answer,
          prediction: predictions[i]!,
        })),
      };
    }
    const results: EvaluateResults = {
      tool: "instruct-arrange",
      version: VERSION,
      kind: "evaluate",
      backend: options.backend,
      model: backend.model,
      details: backend.details(),
      data: resolve(options.data),
      template: `${PROMPT_TEMPLATE}{answer}`,
      maxLength: backend.maxLength,
      scoresEos: backend.scoresEos,
      seed,
      sample: options.maxExamples !== undefined && options.maxExamples < all.length ? sample.indices : null,
      examples: examples.length,
      loss,
      unfit,
      truncatedPrompts: scores.filter((s) => s.truncated).length,
      generation,
    };
    const path = resolve(options.out);
    await atomicWrite(path, (fh) =>
      writeAll(fh, Buffer.from(`${JSON.stringify(results, null, 2)}\n`, "utf8")),
    );
    return { results, path, scores, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await backend.close();
  }
}
