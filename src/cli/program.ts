import { Command } from "commander";
import { VERSION } from "../version.js";
import { analyzeCommand } from "./analyze.js";
import { arrangeCommand } from "./arrange.js";
import { diversityCommand } from "./diversity.js";
import { embedCommand } from "./embed.js";
import { evaluateCommand } from "./evaluate.js";
import { experimentCommand } from "./experiment.js";
import { exportCommand } from "./export.js";
import { predictCommand } from "./predict.js";
import { pretrainTextCommand } from "./pretrain-text.js";
import { reportCommand } from "./report.js";
import { synthCommand } from "./synth.js";
import { trainCommand } from "./train.js";
import { applyVocabulary } from "./vocabulary.js";

/** The whole command line: every command with its options, the shared vocabulary applied (see vocabulary.ts). */
export function buildProgram(): Command {
  const program = new Command("instruct-arrange")
    .description(
      "Arrange and select instruction-tuning data by its similarity to a target set\n" +
        "(Test-centric Multi-turn Arrangement, WSD orderings, task schedules; arXiv 2406.11721).",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  // addCommand does not pass settings down: subcommands need the same exit override and error hints.
  for (const command of [
    arrangeCommand(),
    analyzeCommand(),
    reportCommand(),
    exportCommand(),
    embedCommand(),
    synthCommand(),
    diversityCommand(),
    pretrainTextCommand(),
    trainCommand(),
    evaluateCommand(),
    experimentCommand(),
    predictCommand(),
  ]) {
    program.addCommand(command.exitOverride().showHelpAfterError("(run with --help for usage)"));
  }
  return applyVocabulary(program);
}
