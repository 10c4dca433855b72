import { Command, Option } from "commander";
import { GRANULARITIES, ORDERS, PICK_DIRECTIONS, SELECTS } from "../arrange/strategies.js";
import { usageError } from "../core/errors.js";
import { MEASURES, STRATEGIES, WITHIN_ROUND } from "../core/types.js";
import { EXPORT_TARGETS, type ExportTarget, exportArranged } from "../export/index.js";
import { type ArrangeOptions, arrange } from "../pipeline/arrange.js";
import { planArrange } from "../pipeline/arrange-plan.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { exportSummary } from "./export.js";
import {
  embeddingOptions,
  intOption,
  numberOption,
  overlapOptions,
  recordOptions,
  runOptions,
  serviceOptions,
  similarityOption,
  trainTestOptions,
} from "./options.js";
import { createProgressRenderer, formatSeconds, pickProgressMode } from "./progress.js";

/** Parsed flags: the pipeline's options under their CLI names, plus the CLI's own. */
type ArrangeFlags = Omit<
  ArrangeOptions,
  | "out"
  | "manifest"
  | "onProgress"
  | "argv"
  | "memoryLimitGiB"
  | "strategy"
  | "seed"
  | "embedder"
  | "engine"
  | "nearDuplicateThreshold"
  | "train"
  | "test"
> &
  Required<Pick<ArrangeOptions, "strategy" | "seed" | "embedder" | "engine">> & {
    out: string;
    manifest?: string | false;
    memoryLimit?: number;
    quiet?: boolean;
    logJson?: boolean;
    export?: ExportTarget;
    exportDir?: string;
    exportBatchSize?: number;
    exportSaveSteps?: number;
    nearDuplicate?: number;
    train?: string[];
    test?: string[];
    dryRun?: boolean;
    /** --embed-batch-size: the pipeline's batchSize. */
    embedBatchSize?: number;
  };

export function arrangeCommand(): Command {
  const command = new Command("arrange")
    .description(
      "Write the training set in the order (or the subset) a strategy prescribes for the test set.\n" +
        "Default: Test-centric Multi-turn Arrangement, nearest rounds first, on the offline use-lite encoder.",
    )
    .requiredOption("--out <file>", "arranged training set, written in the input's format")
    .option("--metadata <file>", "one JSON line per output row: index, task, round, value, nearest test row")
    .option("--manifest <file>", "run manifest (default: <out name>.manifest.json beside --out)")
    .option("--no-manifest", "do not write a run manifest")
    .addOption(
      new Option("--strategy <name>", "arrangement strategy")
        .choices(STRATEGIES)
        .default(CLI_DEFAULTS.arrange.strategy),
    )
    .addOption(new Option("--measure <name>", "rank: distance measure (default wsd)").choices(MEASURES))
    .addOption(
      new Option(
        "--order <order>",
        "tma/rank: nearest-first (NFT, default), farthest-first (FFT), random (RT); schedules: input (default) or random; " +
          "selection: the order --select diverse took the rows",
      ).choices(ORDERS),
    )
    .addOption(
      new Option("--granularity <level>", "rank/tma: instance (fine, default) or task (coarse)").choices(
        GRANULARITIES,
      ),
    )
    .addOption(
      new Option(
        "--pick <which>",
        "tma: each test point takes its nearest (default) or farthest remaining example",
      ).choices(PICK_DIRECTIONS),
    )
    .addOption(
      new Option(
        "--within-round <how>",
        "tma: rows inside a round shuffled with --seed (default; rounds keep their order) or by training index (the authors' exact order)",
      ).choices(WITHIN_ROUND),
    )
    .option("--budget <M>", "keep exactly M training examples", intOption("--budget", 1))
    .addOption(
      new Option(
        "--select <which>",
        "with --budget (tma/rank): min = nearest M (default), max = farthest M, min+max = half each; " +
          "diverse (any strategy): greedy diverse selection, then the strategy arranges it",
      ).choices(SELECTS),
    )
    .option(
      "--diversity-weight <w>",
      "--select diverse: w in [0,1] trading similarity to the test set (0) against diversity (1, default)",
      numberOption("--diversity-weight", "0.5"),
    )
    .option("--seed <n>", "seed for every random choice", intOption("--seed", 0), CLI_DEFAULTS.seed)
    .option(
      "--memory-limit <GiB>",
      "tma: largest distance matrix (train x test x 4 bytes) to hold (default 6)",
      (v: string) => {
        const n = Number(v);
        if (!(n > 0))
          throw usageError(
            `--memory-limit must be a positive number of GiB, got "${v}"`,
            "--memory-limit",
            "pass e.g. --memory-limit 12",
          );
        return n;
      },
    )
    .addOption(
      new Option(
        "--export <target>",
        "after writing --out, export it for a trainer (see the export command)",
      ).choices(EXPORT_TARGETS),
    )
    .option("--export-dir <dir>", "directory for --export's files")
    .option(
      "--export-batch-size <n>",
      "--export: examples per optimizer step (default 16)",
      intOption("--export-batch-size", 1),
    )
    .option(
      "--export-save-steps <n>",
      "--export: optimizer steps between checkpoints (default 10)",
      intOption("--export-save-steps", 1),
    )
    .option(
      "--dry-run",
      "print what would be read, the memory each stage needs and a time estimate from a short probe; write nothing",
    );
  for (const option of [
    ...trainTestOptions(
      "training set: .jsonl/.json/.csv/.parquet file, or a directory of one file per task (walked recursively)",
      "target (test) set, same formats",
    ),
    ...overlapOptions(),
    new Option(
      "--decontaminate <sim>",
      "leave out training rows whose cosine similarity to their nearest test row is at least sim (listed in the manifest)",
    ).argParser(similarityOption("--decontaminate")),
    new Option(
      "--near-duplicate <sim>",
      "report training rows at or above this cosine similarity to a test row (default: per embedder, see README)",
    ).argParser(similarityOption("--near-duplicate")),
    ...embeddingOptions(),
    ...serviceOptions(),
    ...recordOptions("skip malformed rows (counted in the manifest) instead of failing"),
    ...runOptions(),
  ])
    command.addOption(option);
  return command.action(async (flags: ArrangeFlags) => {
    const {
      quiet: _quiet,
      logJson: _logJson,
      memoryLimit,
      export: exportTo,
      exportDir,
      exportBatchSize,
      exportSaveSteps,
      nearDuplicate,
      dryRun,
      embedBatchSize,
      ...others
    } = flags;
    const rest = { ...others, ...(embedBatchSize === undefined ? {} : { batchSize: embedBatchSize }) };
    if (exportTo !== undefined && exportDir === undefined)
      throw usageError(
        "--export needs --export-dir",
        "--export-dir",
        "add --export-dir DIR for the trainer files",
      );
    if (exportTo === undefined && (exportDir ?? exportBatchSize ?? exportSaveSteps) !== undefined)
      throw usageError(
        "--export-dir, --export-batch-size and --export-save-steps need --export",
        "--export",
        `add --export TARGET (${EXPORT_TARGETS.join(", ")})`,
      );
    if (dryRun === true) {
      const plan = await planArrange({ ...rest, memoryLimitGiB: memoryLimit });
      process.stdout.write(`${plan.lines.join("\n")}\n`);
      return;
    }
    const mode = pickProgressMode(flags, process.stderr);
    const renderer = createProgressRenderer(mode);
    const options: ArrangeOptions = {
      ...rest,
      memoryLimitGiB: memoryLimit,
      nearDuplicateThreshold: nearDuplicate,
      taskMixBatchSize: exportBatchSize,
      alsoWrites: exportDir === undefined ? [] : [{ flag: "--export-dir", path: exportDir, kind: "dir" }],
      onProgress: renderer.sink,
      argv: ["instruct-arrange", ...process.argv.slice(2)],
    };
    try {
      const run = await arrange(options);
      const m = run.manifest;
      const rounds = m.counts.rounds === undefined ? "" : `, ${m.counts.rounds} rounds`;
      renderer.info(
        `arranged ${m.counts.output} of ${m.counts.train.read} training rows (${flags.order === "selection" ? "diverse selection order" : flags.strategy}${rounds}) in ${formatSeconds(m.timings.total ?? 0)} -> ${flags.out}`,
        { summary: m.counts, out: flags.out },
      );
      if (exportTo !== undefined && exportDir !== undefined) {
        const exported = await exportArranged({
          input: flags.out,
          to: exportTo,
          outDir: exportDir,
          metadata: flags.metadata ?? false,
          manifest: flags.manifest === false ? false : flags.manifest,
          batchSize: exportBatchSize,
          saveSteps: exportSaveSteps,
        });
        renderer.info(exportSummary(exported), { export: exported.target, dir: exported.outDir });
      }
    } finally {
      renderer.stop();
    }
  });
}
