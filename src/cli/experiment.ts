import { Command, Option } from "commander";
import { usageError } from "../core/errors.js";
import { MEASURES, type Measure, type WithinRound } from "../core/types.js";
import type { OverlapMode } from "../data/overlap.js";
import {
  BUILTIN_EXPERIMENTS,
  FIG3_LABELS,
  FIG3_ORDERS,
  type Fig3Order,
  loadSpec,
} from "../experiment/index.js";
import { runExperiment } from "../pipeline/experiment.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { onlyIfCommand } from "./experiment-onlyif.js";
import {
  embedderOption,
  embedThreadsOption,
  intOption,
  overlapOptions,
  similarityOption,
} from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";
import { addTrainingOptions, type TrainingFlags, trainingOptions } from "./train.js";

interface RunFlags extends TrainingFlags {
  train?: string;
  test?: string;
  data?: string;
  holdout?: string[];
  outDir: string;
  arms?: string[];
  orders?: Fig3Order[];
  seeds?: number[];
  measure: Measure;
  embedder: string;
  ngramDims?: number;
  embedThreads?: number;
  budget?: number;
  roundGroups?: number;
  roundRange?: { from: number; to: number };
  withinRound?: WithinRound;
  overlap?: OverlapMode;
  decontaminate?: number;
  aucSteps?: number;
  parallel?: number;
  resume: boolean;
  report: boolean;
  analyze: boolean;
  evalMaxExamples?: number;
  quiet?: boolean;
  logJson?: boolean;
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** --round-range FROM-TO (1-based, inclusive). */
function roundRange(value: string): { from: number; to: number } {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
  const from = m === null ? Number.NaN : Number(m[1]);
  const to = m === null ? Number.NaN : Number(m[2]);
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 1 && from <= to))
    throw usageError(
      `--round-range must be FROM-TO with 1 <= FROM <= TO, got "${value}"`,
      "--round-range",
      "pass e.g. --round-range 1-30",
    );
  return { from, to };
}

function orderList(value: string): Fig3Order[] {
  const aliases: Record<string, Fig3Order> = { nft: "nearest-first", rt: "random", fft: "farthest-first" };
  return list(value).map((v) => {
    const o = aliases[v.toLowerCase()] ?? v;
    if (!(FIG3_ORDERS as readonly string[]).includes(o))
      throw usageError(
        `unknown order "${v}"`,
        "--orders",
        "use nft, rt, fft (or nearest-first, random, farthest-first)",
      );
    return o as Fig3Order;
  });
}

function seedList(value: string): number[] {
  return list(value).map((v) => intOption("--seeds", 0)(v));
}

/** `experiment NAME|SPEC`: a built-in experiment of the paper or a spec file, run with the same options. */
function runCommand(): Command {
  const command = new Command("run")
    .argument(
      "<NAME|SPEC>",
      `a built-in experiment (${BUILTIN_EXPERIMENTS.join(", ")}) or a spec file (.json, .yaml)`,
    )
    .description(
      "Run the paper's comparisons with the project's own arrange and train: every arm of the experiment\n" +
        "arranged, then trained with the same options on every seed; test loss on unseen tasks against steps.\n" +
        "Built in: fig2 (schedules random / round-robin / cluster), fig3-left (WSD NFT/RT/FFT), fig3-right\n" +
        "(WSD NFT fine vs coarse), fig4 (TMA NFT/RT/FFT), fig5 (TMA round groups), fig14 (budget M: NFT/RT/FFT/\n" +
        "MIN/MAX). `run` may be left out: `experiment fig4 ...`. Writes OUT/experiment.json (per-run areas,\n" +
        "per-arm means and spreads over seeds, verdicts of the expected orders) and OUT/report.html.",
    )
    .option("--train <path>", "training set (with --test)")
    .option("--test <path>", "test set of unseen tasks (with --train)")
    .option("--data <dir>", "one directory of task files to split by task (with --holdout)")
    .option(
      "--holdout <prefixes>",
      "task-file name prefixes held out as the test set, e.g. ag_news,cosmos_qa",
      list,
    )
    .requiredOption("--out-dir <dir>", "experiment directory")
    .addOption(overlapOptions()[0]!)
    .option(
      "--decontaminate <sim>",
      "every arm leaves out training rows at or above this cosine similarity to a test row",
      similarityOption("--decontaminate"),
    )
    .option("--seeds <list>", "seeds; every arm is trained once per seed (default 0)", seedList)
    .option("--arms <labels>", "only these arms (labels, e.g. NFT,FFT; default all)", list)
    .option("--orders <list>", "only these of NFT/RT/FFT: nft, rt, fft (same as --arms)", orderList)
    .option(
      "--parallel <n>",
      "training runs at once (default 1); each gets --threads 1 unless --threads is given",
      intOption("--parallel", 1, 1),
    )
    .option("--no-resume", "train every run again even when OUT holds it complete with the same settings")
    .option("--no-report", "do not write OUT/report.html")
    .option(
      "--no-analyze",
      "do not analyze each arm's arranged data (OUT/analysis/*.json: similarity at every evaluated step, drawn against the test loss)",
    )
    .addOption(
      new Option("--measure <measure>", "measure of rank arms that name none")
        .choices(MEASURES)
        .default(CLI_DEFAULTS.experiment.measure),
    )
    .addOption(embedderOption(CLI_DEFAULTS.experiment.embedder, "embedding backend of the arrangements"))
    .option(
      "--ngram-dims <n>",
      "ngram: hashed feature dimensions (default 1024)",
      intOption("--ngram-dims", 16, 16),
    )
    .addOption(embedThreadsOption("embedThreads"))
    .option(
      "--budget <M>",
      'budget M of arms with budget "M" (fig14; default: the spec\'s, else half the training rows)',
      intOption("--budget", 1, 1000),
    )
    .option(
      "--round-groups <n>",
      "groups of TMA rounds of round-group arms (fig5; default: the spec's, else 3)",
      intOption("--round-groups", 1, 3),
    )
    .option(
      "--round-range <from-to>",
      "TMA rounds the round groups are cut from, e.g. 1-30 as in the paper's Fig. 5 (default: the spec's, else every round)",
      roundRange,
    )
    .addOption(
      new Option(
        "--within-round <how>",
        "TMA arms (nearest/farthest-first) without their own: rows inside a round shuffled per seed (default) or by training index (the authors' order)",
      ).choices(["index", "shuffle"]),
    )
    .option(
      "--auc-steps <n>",
      "area window: steps 0..n (default: every step)",
      intOption("--auc-steps", 1, 50),
    );
  addTrainingOptions(command);
  // The experiment's own default (train's help says all): the paper drew 120 test examples.
  const evalMax = command.options.find((o) => o.long === "--eval-max-examples");
  if (evalMax !== undefined)
    evalMax.description = "test on n examples drawn with each run's seed (default 200; the paper drew 120)";
  return command
    .option("--quiet", "no progress or messages on stderr")
    .option("--log-json", "progress and messages as JSON lines on stderr")
    .action(async (name: string, flags: RunFlags) => {
      const mode = pickProgressMode(flags, process.stderr);
      const progress = createProgressRenderer(mode);
      try {
        const { spec, source } = await loadSpec(name);
        if (flags.orders !== undefined && flags.arms !== undefined)
          throw usageError("give --arms or --orders, not both", "--orders", "use --arms");
        const arms = flags.arms ?? flags.orders?.map((o) => FIG3_LABELS[o]);
        const r = await runExperiment({
          spec,
          specSource: source,
          train: flags.train,
          test: flags.test,
          data: flags.data,
          holdout: flags.holdout,
          out: flags.outDir,
          arms,
          seeds: flags.seeds,
          measure: flags.measure,
          embedder: flags.embedder,
          ngramDims: flags.ngramDims,
          embedThreads: flags.embedThreads,
          budget: flags.budget,
          roundGroups: flags.roundGroups,
          roundRange: flags.roundRange,
          withinRound: flags.withinRound,
          overlap: flags.overlap,
          decontaminate: flags.decontaminate,
          aucSteps: flags.aucSteps,
          parallel: flags.parallel,
          resume: flags.resume,
          report: flags.report,
          analyze: flags.analyze,
          onProgress: progress.sink,
          trainOptions: {
            ...trainingOptions(flags),
            evalMaxExamples: flags.evalMaxExamples ?? 200,
            onProgress: progress.sink,
          },
        });
        progress.stop();
        const width = Math.max(3, ...r.summary.map((s) => s.label.length));
        for (const s of r.summary) {
          const area = s.area === null ? "-" : `${s.area.mean.toFixed(4)} ± ${s.area.std.toFixed(4)}`;
          const final = s.finalLoss === null ? "-" : s.finalLoss.mean.toFixed(4);
          progress.info(
            `${s.label.padEnd(width)}: mean test loss over the window ${area}, final ${final} (${s.runs} runs)`,
          );
        }
        for (const c of r.verdict.comparisons)
          progress.info(
            `${c.statement} (${c.metric}): ${c.holdsOnMeans ? "holds" : "does not hold"} on the means, on ${c.seedsHolding} of ${c.seeds} seeds`,
          );
        const reused = r.runs.filter((x) => x.reused).length;
        if (reused > 0) progress.info(`${reused} of ${r.runs.length} runs reused from ${flags.outDir}`);
        progress.info(
          `-> ${flags.outDir}/experiment.json${flags.report ? `, ${flags.outDir}/report.html` : ""}`,
        );
      } finally {
        progress.stop();
      }
    });
}

export function experimentCommand(): Command {
  const run = runCommand().exitOverride().showHelpAfterError("(run with --help for usage)");
  return (
    new Command("experiment")
      .description(
        `Reproduce the paper's experiments with the project's own arrange and train: experiment NAME|SPEC (${BUILTIN_EXPERIMENTS.join(", ")}, or a .json/.yaml spec)`,
      )
      // Other experiments are subcommands of their own; anything else is a built-in name or a spec file.
      .addCommand(run, { isDefault: true })
      .addCommand(onlyIfCommand().exitOverride().showHelpAfterError("(run with --help for usage)"))
  );
}
