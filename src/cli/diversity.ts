import { Command } from "commander";
import { type DiversityRunOptions, diversity } from "../pipeline/diversity.js";
import { CLI_DEFAULTS } from "./defaults.js";
import {
  embeddingOptions,
  intOption,
  numberOption,
  recordOptions,
  runOptions,
  serviceOptions,
  singleInputOptions,
} from "./options.js";
import { createProgressRenderer, formatSeconds, pickProgressMode } from "./progress.js";

type DiversityFlags = Omit<DiversityRunOptions, "onProgress" | "out"> & {
  out: string;
  quiet?: boolean;
  logJson?: boolean;
  /** --embed-batch-size: the pipeline's batchSize. */
  embedBatchSize?: number;
};

export function diversityCommand(): Command {
  const command = new Command("diversity")
    .description(
      "Measure how diverse a dataset is on an embedder, overall and per task: k-means clusters and the entropy\n" +
        "of their sizes, the mean pairwise cosine distance and the Vendi score. Writes JSON.",
    )
    .requiredOption("--out <file>", "diversity JSON to write")
    .option(
      "--clusters <k>",
      "k-means clusters (default round(sqrt(n/2)), at most 1000)",
      intOption("--clusters", 1, 50),
    )
    .option(
      "--max-iterations <n>",
      "k-means: Lloyd iterations at most (default 50)",
      intOption("--max-iterations", 1, 50),
    )
    .option(
      "--tolerance <share>",
      "k-means: stop once an iteration moves at most this share of rows (default 0.001; 0 = until none moves)",
      numberOption("--tolerance", "0.001"),
    )
    .option("--seed <n>", "seed of the k-means++ seeding", intOption("--seed", 0), CLI_DEFAULTS.seed)
    .option(
      "--embeddings <file.npy>",
      "precomputed float32 embeddings (row i = input row i); skips the embedder",
    );
  for (const option of [
    ...singleInputOptions("dataset: file, or a directory of one file per task"),
    ...embeddingOptions().filter((o) => !o.long?.endsWith("-embeddings")),
    ...serviceOptions(),
    ...recordOptions("skip malformed rows instead of failing"),
    ...runOptions(),
  ])
    command.addOption(option);
  return command.action(async (flags: DiversityFlags) => {
    const { quiet: _quiet, logJson: _logJson, embedBatchSize, ...others } = flags;
    const rest = { ...others, ...(embedBatchSize === undefined ? {} : { batchSize: embedBatchSize }) };
    const renderer = createProgressRenderer(pickProgressMode(flags, process.stderr));
    try {
      const r = await diversity({ ...rest, onProgress: renderer.sink });
      for (const w of r.warnings ?? []) renderer.info(`warning: ${w}`, { warning: w });
      const o = r.overall;
      renderer.info(
        `${o.rows} rows, ${r.input.tasks} tasks: ${o.clusters.used} of ${o.clusters.k} clusters used ` +
          `(normalized entropy ${o.clusters.normalizedEntropy.toFixed(3)}), mean pairwise cosine distance ` +
          `${o.meanPairwiseCosineDistance?.toFixed(4) ?? "n/a"}, Vendi ${o.vendi.toFixed(2)} ` +
          `in ${formatSeconds(r.timings.total ?? 0)} -> ${flags.out}`,
        { overall: { rows: o.rows, vendi: o.vendi }, out: flags.out },
      );
    } finally {
      renderer.stop();
    }
  });
}
