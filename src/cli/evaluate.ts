import { Command, Option } from "commander";
import { usageError } from "../core/errors.js";
import { EVAL_BACKENDS, type EvaluateOptions, evaluate } from "../pipeline/evaluate.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { intOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";

/** The command's flags: the pipeline's options under their CLI names (less the progress sink and environment). */
type EvaluateFlags = Omit<EvaluateOptions, "onProgress" | "env" | "data" | "batchSize"> & {
  /** --test: the pipeline's data. */
  test: string;
  /** --eval-batch-size: the pipeline's batchSize. */
  evalBatchSize?: number;
  quiet?: boolean;
  logJson?: boolean;
};

export function evaluateCommand(): Command {
  return new Command("evaluate")
    .description(
      "Answer-token loss (mean per example, token-weighted, per task) of an existing model on a test set, and\n" +
        "with --generate ROUGE-1/ROUGE-L/exact match of greedy generations; the template is the trainer's\n" +
        '("User: {instruction}\\nAssistant: {answer}" with BOS/EOS). Backends: openai (a completions server that\n' +
        "echoes prompt log-probabilities, e.g. vLLM), onnx (a local causal LM through transformers.js), checkpoint\n" +
        "(a `train --save-at` checkpoint, scored by the trainer's own code).",
    )
    .requiredOption("--test <path>", "test set (alpaca, prompt-completion or conversation layout)")
    .addOption(
      new Option("--backend <name>", "where the model runs").choices(EVAL_BACKENDS).makeOptionMandatory(),
    )
    .requiredOption("--out <file>", "results JSON (written atomically)")
    .option(
      "--endpoint <url>",
      "openai: server base URL (…/v1/completions is appended) or the full completions URL",
    )
    .option("--model <name>", "openai: model name sent with every request")
    .option(
      "--api-key-env <name>",
      "openai: environment variable holding the API key, sent as a Bearer token (default INSTRUCT_ARRANGE_API_KEY)",
    )
    .option(
      "--eos-text <text>",
      'openai: text of the model\'s end-of-sequence token appended to each answer and scored, e.g. "</s>" (default: none, EOS not scored)',
    )
    .option(
      "--echo-max-tokens <n>",
      "openai: max_tokens of scoring requests (default 1; current vLLM also accepts 0 with echo)",
      intOption("--echo-max-tokens", 0, 1),
    )
    .option("--concurrency <n>", "openai: requests in flight (default 4)", intOption("--concurrency", 1, 4))
    .option(
      "--timeout <seconds>",
      "openai: seconds before a request is retried (default 120)",
      (v: string) => {
        const n = Number(v);
        if (!(n > 0) || !Number.isFinite(n))
          throw usageError(
            `--timeout must be a positive number, got "${v}"`,
            "--timeout",
            "pass e.g. --timeout 120",
          );
        return n;
      },
    )
    .option(
      "--retries <n>",
      "openai: retries on 429, 5xx, timeouts (default 5)",
      intOption("--retries", 0, 5),
    )
    .option("--model-dir <dir>", "onnx: causal LM directory (config.json, tokenizer.json, onnx/model.onnx)")
    .option("--quantized", "onnx: use onnx/model_quantized.onnx")
    .option("--checkpoint <dir>", "checkpoint: RUN_DIR/checkpoints/step-N written by `train --save-at`")
    .option(
      "--python <path>",
      "checkpoint: Python with PyTorch (default: $INSTRUCT_ARRANGE_PYTHON, python3, /usr/bin/python3)",
    )
    .addOption(
      new Option("--device <device>", "checkpoint: where to run")
        .choices(["auto", "cpu", "cuda"])
        .default(CLI_DEFAULTS.device),
    )
    .option(
      "--max-length <n>",
      "tokens per example; prompts are cut from the left, never the answer (default: the model's context; openai: the server's max_model_len - echo tokens)",
      intOption("--max-length", 2, 2048),
    )
    .option(
      "--eval-batch-size <n>",
      "openai: prompts per request (default 16); checkpoint: examples per forward pass (default 16)",
      intOption("--eval-batch-size", 1, 16),
    )
    .option("--threads <n>", "onnx, checkpoint: CPU threads", intOption("--threads", 1, 4))
    .option("--generate", "also generate greedily and score ROUGE-1, ROUGE-L and exact match")
    .option(
      "--max-new-tokens <n>",
      "tokens per generation (default 64)",
      intOption("--max-new-tokens", 1, 64),
    )
    .option(
      "--generate-max-examples <n>",
      "generate for the first n evaluated examples (default all)",
      intOption("--generate-max-examples", 1, 100),
    )
    .option("--stemmer", "ROUGE with the Porter stemmer (rouge-score's use_stemmer=True)")
    .option(
      "--max-examples <n>",
      "evaluate n examples drawn with --seed (default all)",
      intOption("--max-examples", 1, 200),
    )
    .option("--seed <n>", "seed of the --max-examples draw (default 0)", intOption("--seed", 0))
    .option("--task-field <name>", "record field holding the task name (default: file name in a directory)")
    .option("--skip-invalid", "skip malformed rows instead of failing")
    .option("--quiet", "no progress or messages on stderr")
    .option("--log-json", "progress and messages as JSON lines on stderr")
    .action(async (flags: EvaluateFlags) => {
      const mode = pickProgressMode(flags, process.stderr);
      const progress = createProgressRenderer(mode);
      try {
        const { test, evalBatchSize, quiet: _quiet, logJson: _logJson, ...rest } = flags;
        const r = await evaluate({
          ...rest,
          data: test,
          ...(evalBatchSize === undefined ? {} : { batchSize: evalBatchSize }),
          onProgress: progress.sink,
        });
        progress.stop();
        const { loss, generation } = r.results;
        const gen =
          generation === null
            ? ""
            : `; ROUGE-1 ${generation.rouge1.toFixed(4)}, ROUGE-L ${generation.rougeL.toFixed(4)}, exact match ${generation.exactMatch.toFixed(4)}`;
        progress.info(
          `evaluated ${loss.examples} examples (${loss.unfit} unfit) in ${r.seconds.toFixed(1)} s: loss ${loss.loss?.toFixed(4) ?? "-"} (token-weighted ${loss.tokenLoss?.toFixed(4) ?? "-"})${gen} -> ${r.path}`,
          { results: r.path, loss: loss.loss, tokenLoss: loss.tokenLoss, unfit: loss.unfit },
        );
      } finally {
        progress.stop();
      }
    });
}
