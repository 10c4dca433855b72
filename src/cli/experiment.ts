import { Command, Option } from "commander";
import { usageError } from "../core/errors.js";
import { MEASURES, type Measure } from "../core/types.js";
import { EMBEDDERS } from "../embed/index.js";
import { FIG3_ORDERS, type Fig3Order, fig3Left } from "../experiment/index.js";
import type { Device } from "../train/index.js";
import { onlyIfCommand } from "./experiment-onlyif.js";
import { intOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";
import { addTrainingOptions } from "./train.js";

interface Fig3Flags {
  train?: string;
  test?: string;
  data?: string;
  holdout?: string[];
  out: string;
  orders?: Fig3Order[];
  seeds?: number[];
  measure: Measure;
  embedder: string;
  ngramDims?: number;
  aucSteps?: number;
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
  evalMaxExamples?: number;
  threads?: number;
  device: Device;
  nproc?: number;
  python?: string;
  quiet?: boolean;
  logJson?: boolean;
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
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

function fig3LeftCommand(): Command {
  const command = new Command("fig3-left")
    .description(
      "The paper's Fig. 3 (left): the same training data ranked by WSD nearest first (NFT), shuffled (RT) and\n" +
        "farthest first (FFT), each trained with the same seed; test loss on unseen tasks against steps.\n" +
        "Writes OUT/experiment.json (per-run areas under the early curve, per-order means over seeds).",
    )
    .option("--train <path>", "training set (with --test)")
    .option("--test <path>", "test set of unseen tasks (with --train)")
    .option("--data <dir>", "one directory of task files to split by task (with --holdout)")
    .option(
      "--holdout <prefixes>",
      "task-file name prefixes held out as the test set, e.g. ag_news,cosmos_qa",
      list,
    )
    .requiredOption("--out <dir>", "experiment directory")
    .option("--orders <list>", "orders to compare (default nft,rt,fft)", orderList)
    .option("--seeds <list>", "seeds; every order is trained once per seed (default 0)", seedList)
    .addOption(new Option("--measure <measure>", "ranking measure").choices(MEASURES).default("wsd"))
    .addOption(
      new Option("--embedder <name>", "embedding backend for the ranking")
        .choices(EMBEDDERS)
        .default("ngram"),
    )
    .option(
      "--ngram-dims <n>",
      "ngram: hashed feature dimensions (default 1024)",
      intOption("--ngram-dims", 16, 16),
    )
    .option(
      "--auc-steps <n>",
      "area window: steps 0..n (default: every step)",
      intOption("--auc-steps", 1, 50),
    );
  return addTrainingOptions(command)
    .option("--quiet", "no progress or messages on stderr")
    .option("--log-json", "progress and messages as JSON lines on stderr")
    .action(async (flags: Fig3Flags) => {
      const mode = pickProgressMode(flags, process.stderr);
      const progress = createProgressRenderer(mode);
      try {
        const r = await fig3Left({
          train: flags.train,
          test: flags.test,
          data: flags.data,
          holdout: flags.holdout,
          out: flags.out,
          orders: flags.orders,
          seeds: flags.seeds,
          measure: flags.measure,
          embedder: flags.embedder,
          ngramDims: flags.ngramDims,
          aucSteps: flags.aucSteps,
          onProgress: progress.sink,
          trainOptions: {
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
            evalMaxExamples: flags.evalMaxExamples ?? 200,
            threads: flags.threads,
            device: flags.device,
            nproc: flags.nproc,
            python: flags.python,
            onProgress: progress.sink,
          },
        });
        progress.stop();
        for (const s of r.summary) {
          const area = s.area === null ? "-" : `${s.area.mean.toFixed(4)} ± ${s.area.std.toFixed(4)}`;
          const final = s.finalLoss === null ? "-" : s.finalLoss.mean.toFixed(4);
          progress.info(
            `${s.label.padEnd(3)}: mean test loss over the window ${area}, final ${final} (${s.runs} runs)`,
          );
        }
        progress.info(`-> ${flags.out}/experiment.json`);
      } finally {
        progress.stop();
      }
    });
}

export function experimentCommand(): Command {
  const fig3 = fig3LeftCommand().exitOverride().showHelpAfterError("(run with --help for usage)");
  return new Command("experiment")
    .description("Reproduce the paper's experiments with the project's own arrange and train")
    .addCommand(fig3)
    .addCommand(onlyIfCommand().exitOverride().showHelpAfterError("(run with --help for usage)"));
}
