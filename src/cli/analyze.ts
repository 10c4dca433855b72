import { Command } from "commander";
import type { AnalyzeOptions } from "../analyze/types.js";
import { ANALYZE_DEFAULTS, analyze } from "../pipeline/analyze.js";
import {
  embeddingOptions,
  intOption,
  numberOption,
  overlapOptions,
  recordOptions,
  runOptions,
  serviceOptions,
  trainTestOptions,
} from "./options.js";
import { createProgressRenderer, formatSeconds, pickProgressMode } from "./progress.js";

type AnalyzeFlags = Omit<AnalyzeOptions, "onProgress" | "out"> & {
  out: string;
  quiet?: boolean;
  logJson?: boolean;
};

export function analyzeCommand(): Command {
  const command = new Command("analyze")
    .description(
      "Measure a training order against a test set, checkpoint by checkpoint (arXiv 2406.11721, B.3/B.4):\n" +
        "cosine/Euclidean min/max/avg/centroid and bigram-KL curves of each training prefix, per test task;\n" +
        "test coverage and likely contamination; TMA rounds; WSD distribution; a 2-D projection. Writes JSON.",
    )
    .requiredOption("--out <file>", "analysis JSON to write")
    .option(
      "--metadata <file>",
      "arrange --metadata JSONL of this training file: adds TMA round sizes and distances",
    )
    .option(
      "--batch-size <n>",
      `training examples per optimizer step (default ${ANALYZE_DEFAULTS.batchSize})`,
      intOption("--batch-size", 1),
    )
    .option(
      "--save-steps <n>",
      `optimizer steps between checkpoints (default ${ANALYZE_DEFAULTS.saveSteps})`,
      intOption("--save-steps", 1),
    )
    .option(
      "--max-steps <n>",
      "last optimizer step with a checkpoint, as a run of n steps sees (default: the whole training set); coverage, WSD and rounds still cover every row",
      intOption("--max-steps", 1),
    )
    .option(
      "--k <n>",
      `nearest training rows listed per test row (default ${ANALYZE_DEFAULTS.k})`,
      intOption("--k", 1),
    )
    .option(
      "--contamination <sim>",
      `flag test rows whose nearest training row has cosine similarity >= sim (default ${ANALYZE_DEFAULTS.contamination})`,
      numberOption("--contamination", "0.95"),
    )
    .option(
      "--kl-epsilon <eps>",
      "smoothing of the bigram KL divergence (default 1e-10)",
      numberOption("--kl-epsilon", "1e-10"),
    )
    .option(
      "--projection-sample <n>",
      `training rows in the 2-D projection, evenly spaced (default ${ANALYZE_DEFAULTS.projectionSample})`,
      intOption("--projection-sample", 1),
    )
    .option(
      "--wsd-bins <n>",
      `bins of the WSD histogram (default ${ANALYZE_DEFAULTS.wsdBins})`,
      intOption("--wsd-bins", 1),
    )
    .option(
      "--snippet-chars <n>",
      `text kept per flagged (and closest) test row and its nearest training rows, for the report (default ${ANALYZE_DEFAULTS.snippetChars}; 0: none)`,
      intOption("--snippet-chars", 0),
    );
  for (const option of [
    ...trainTestOptions(
      "training set, taken in its file order (e.g. an arrange output)",
      "target (test) set: file, or a directory of one file per task",
    ),
    ...overlapOptions(),
    ...embeddingOptions(),
    ...serviceOptions(),
    ...recordOptions("skip malformed rows instead of failing"),
    ...runOptions(),
  ])
    command.addOption(option);
  return command.action(async (flags: AnalyzeFlags) => {
    const { quiet: _quiet, logJson: _logJson, ...rest } = flags;
    const renderer = createProgressRenderer(pickProgressMode(flags, process.stderr));
    try {
      const a = await analyze({ ...rest, onProgress: renderer.sink });
      for (const w of a.warnings ?? []) renderer.info(`warning: ${w}`, { warning: w });
      const last = (xs: number[]) => xs[xs.length - 1];
      renderer.info(
        `analyzed ${a.inputs.train.rows} training rows against ${a.inputs.test.rows} test rows: ` +
          `${a.checkpoints.examples.length} checkpoints, ${a.coverage.flagged} test rows flagged as likely contamination, ` +
          `final cos-avg ${last(a.curves.overall["cos-avg"])?.toPrecision(4)}, kl-bigram ${last(a.curves.overall["kl-bigram"])?.toPrecision(4)} ` +
          `in ${formatSeconds(a.timings.total ?? 0)} -> ${flags.out}`,
        { checkpoints: a.checkpoints.examples.length, flagged: a.coverage.flagged, out: flags.out },
      );
    } finally {
      renderer.stop();
    }
  });
}
