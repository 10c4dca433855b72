import { Option } from "commander";
import { usageError } from "../core/errors.js";
import { checkEmbedderName, EMBEDDERS, MINILM_MODEL } from "../embed/index.js";
import { EMBED_DEVICES } from "../embed/types.js";
import { CLI_DEFAULTS } from "./defaults.js";

/** Parser for an integer flag >= min; a bad value is a usage error whose fix shows `example`. */
export function intOption(flag: string, min: number, example = Math.max(min, 1)) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw usageError(
        `${flag} must be an integer >= ${min}, got "${value}"`,
        flag,
        `pass e.g. ${flag} ${example}`,
      );
    }
    return n;
  };
}

/** Parser for a finite number flag. */
export function numberOption(flag: string, example: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
      throw usageError(`${flag} must be a number, got "${value}"`, flag, `pass e.g. ${flag} ${example}`);
    return n;
  };
}

/**
 * The embedder's thread count, `--embed-threads` in every command (`--threads` is the trainer's or the
 * model's, as in train, experiment and evaluate; the old `--threads` of the embedding commands is a
 * deprecated spelling, see vocabulary.ts). `attribute` is the key its value is parsed into: `threads`
 * where the flags spread into the pipeline's EmbeddingServiceOptions, `embedThreads` in `experiment`.
 */
export function embedThreadsOption(attribute: "threads" | "embedThreads" = "threads"): Option {
  const option = new Option(
    "--embed-threads <n>",
    "use-lite: worker threads, each with its own model (about 300 MiB each); minilm, hf: onnxruntime CPU threads (default: the cores available, os.availableParallelism())",
  ).argParser(intOption("--embed-threads", 1, 2));
  option.attributeName = () => attribute;
  return option;
}

/**
 * `--embedder NAME`, parsed by the registry's one parser (checkEmbedderName) in every command, so `hf:<id>`
 * works wherever a fixed name does. `help` says what the embedder is for in this command.
 */
export function embedderOption(defaultName: string, help = "embedding backend"): Option {
  return new Option("--embedder <name>", `${help}: ${EMBEDDERS.join(", ")}`)
    .argParser(checkEmbedderName)
    .default(defaultName);
}

/**
 * The embedding flags shared by commands that embed. The embedder's batch is `--embed-batch-size` in every
 * command (`--batch-size` is examples per optimizer step wherever it appears).
 */
export function embeddingOptions(): Option[] {
  return [
    embedThreadsOption(),
    embedderOption(CLI_DEFAULTS.embedder),
    new Option("--ngram-dims <n>", "ngram: hashed feature dimensions (default 1024)").argParser(
      intOption("--ngram-dims", 16, 16),
    ),
    new Option(
      "--max-tokens <n>",
      "use-lite, minilm, hf: truncate each text to n tokens (default 256; hf: the model's own limit)",
    ).argParser(intOption("--max-tokens", 1)),
    new Option(
      "--model-dir <dir>",
      `minilm, hf: local model directory (config.json, tokenizer.json, onnx/model.onnx), e.g. a download of ${MINILM_MODEL}; no network is used (default: $INSTRUCT_ARRANGE_MODEL_DIR, else the Hugging Face cache, else download)`,
    ),
    new Option(
      "--token-budget <n>",
      "minilm, hf: largest padded batch in tokens (texts × longest text; default 2048)",
    ).argParser(intOption("--token-budget", 1, 2048)),
    new Option("--quantized", "minilm, hf: use the 8-bit model (onnx/model_quantized.onnx)"),
    new Option(
      "--device <name>",
      "minilm, hf: cpu (default) or cuda (onnxruntime-node's CUDA execution provider, where it is installed)",
    ).choices(EMBED_DEVICES),
    new Option(
      "--embed-batch-size <n>",
      "texts per embedding batch (default 64; minilm, hf: 256; http: 32, halved when the service refuses it)",
    ).argParser(intOption("--embed-batch-size", 1)),
    new Option(
      "--train-embeddings <file.npy>",
      "precomputed float32 train embeddings (row i = input row i); skips the embedder",
    ),
    new Option("--test-embeddings <file.npy>", "precomputed float32 test embeddings"),
  ];
}

/** The http backend's service options and the embedding cache's (see README: embedding services, cache). */
export function serviceOptions(): Option[] {
  return [
    new Option(
      "--endpoint <url>",
      "http: OpenAI-compatible embeddings service, base URL (…/v1/embeddings is appended) or full …/embeddings URL",
    ),
    new Option("--model <name>", "http: model name sent with every request"),
    new Option(
      "--api-key-env <name>",
      "http: environment variable holding the API key, sent as a Bearer token (default INSTRUCT_ARRANGE_API_KEY)",
    ),
    new Option("--concurrency <n>", "http: requests in flight at once (default 4)").argParser(
      intOption("--concurrency", 1, 4),
    ),
    new Option("--timeout <seconds>", "http: seconds before a request is retried (default 60)").argParser(
      (v: string) => {
        const n = Number(v);
        if (v.trim() === "" || !(n > 0) || !Number.isFinite(n))
          throw usageError(
            `--timeout must be a positive number of seconds, got "${v}"`,
            "--timeout",
            "pass e.g. --timeout 60",
          );
        return n;
      },
    ),
    new Option("--retries <n>", "http: retries per request on 429, 5xx, timeouts (default 5)").argParser(
      intOption("--retries", 0, 5),
    ),
    new Option("--dimensions <n>", "http: ask the service for vectors of n dimensions").argParser(
      intOption("--dimensions", 1, 384),
    ),
    new Option(
      "--cache-dir <dir>",
      "embedding cache directory (default $INSTRUCT_ARRANGE_CACHE_DIR, $XDG_CACHE_HOME/instruct-arrange or ~/.cache/instruct-arrange)",
    ),
    new Option("--no-cache", "do not read or write the embedding cache"),
  ];
}

/** How records are read: template, task field, skipping malformed rows. */
export function recordOptions(skipInvalidHelp: string): Option[] {
  return [
    new Option(
      "--template <template>",
      'text to embed from record fields, e.g. "{instruction} {input} {output}"',
    ),
    new Option(
      "--task-field <name>",
      "record field holding the task name (default: file name in a directory)",
    ),
    new Option("--skip-invalid", skipInvalidHelp),
  ];
}

/** Matrix engine and where progress goes. */
export function runOptions(): Option[] {
  return [
    new Option(
      "--engine <name>",
      "matrix engine: ort (onnxruntime CPU), ort-cuda (onnxruntime CUDA execution provider; needs onnxruntime-node installed with CUDA), ts",
    )
      .choices(["ort", "ort-cuda", "ts"])
      .default(CLI_DEFAULTS.engine),
    new Option("--quiet", "no progress or messages on stderr"),
    new Option("--log-json", "progress and messages as JSON lines on stderr"),
  ];
}

/** Parser of a repeatable option: every value, in the order given (never last-wins). */
export const repeatable = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** Parser of a comma-separated list. */
export function commaList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * The data options of commands that read a training and a test set: repeatable --train/--test (files,
 * directories, quoted globs) or --data DIR --holdout PREFIXES.
 */
export function trainTestOptions(trainHelp: string, testHelp: string): Option[] {
  return [
    new Option(
      "--train <path>",
      `${trainHelp}; repeat or quote a glob ('data/*.jsonl') for several`,
    ).argParser(repeatable),
    new Option("--test <path>", `${testHelp}; repeat or quote a glob for several`).argParser(repeatable),
    new Option("--data <dir>", "instead of --train/--test: one directory of task files, split by --holdout"),
    new Option(
      "--holdout <prefixes>",
      "with --data: comma-separated task-name prefixes whose files form the test set (e.g. ag_news,cosmos_qa)",
    ).argParser(commaList),
  ];
}

/** How training rows that copy the test set are handled (arrange, analyze, experiment, train). */
export function overlapOptions(): Option[] {
  return [
    new Option(
      "--overlap <mode>",
      "training rows whose text equals a test row's: error (stop, default), drop (leave them out), keep (warn)",
    ).choices(["error", "drop", "keep"]),
  ];
}

/** A cosine-similarity flag in (-1, 1]. */
export function similarityOption(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !(n > -1 && n <= 1))
      throw usageError(
        `${flag} must be a cosine similarity in (-1, 1], got "${value}"`,
        flag,
        `pass e.g. ${flag} 0.95 (see the README's values per embedder)`,
      );
    return n;
  };
}

/** The data options of commands that read one data set: repeatable --input, or --data DIR --holdout PREFIXES [--part]. */
export function singleInputOptions(help: string): Option[] {
  return [
    new Option("--input <path>", `${help}; repeat or quote a glob ('data/*.jsonl') for several`).argParser(
      repeatable,
    ),
    new Option("--data <dir>", "instead of --input: one directory of task files, split by --holdout"),
    new Option(
      "--holdout <prefixes>",
      "with --data: comma-separated task-name prefixes whose files form the test set",
    ).argParser(commaList),
    new Option("--part <side>", "with --data: the training part (default) or the held-out test part").choices(
      ["train", "test"],
    ),
  ];
}
