#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { isArrangeError } from "../core/errors.js";
import { VERSION } from "../version.js";
import { analyzeCommand } from "./analyze.js";
import { arrangeCommand } from "./arrange.js";
import { diversityCommand } from "./diversity.js";
import { embedCommand } from "./embed.js";
import { evaluateCommand } from "./evaluate.js";
import { experimentCommand } from "./experiment.js";
import { exportCommand } from "./export.js";
import { predictCommand } from "./predict.js";
import { reportCommand } from "./report.js";
import { synthCommand } from "./synth.js";
import { trainCommand } from "./train.js";

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
    trainCommand(),
    evaluateCommand(),
    experimentCommand(),
    predictCommand(),
  ]) {
    program.addCommand(command.exitOverride().showHelpAfterError("(run with --help for usage)"));
  }
  return program;
}

/** Run the CLI; returns the exit status (0 ok, 1 failure, 2 usage error). Never calls process.exit itself. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exits are successes; parse errors are usage errors (commander printed them).
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return 0;
      return 2;
    }
    if (isArrangeError(e)) {
      process.stderr.write(`instruct-arrange: ${e.describe()}\n`);
      return e.code === "usage" ? 2 : 1;
    }
    const err = e as Error;
    process.stderr.write(
      `instruct-arrange: internal error: ${err?.message ?? String(e)}\n${process.env.DEBUG ? `${err?.stack}\n` : "  (set DEBUG=1 for the stack trace; please report this)\n"}`,
    );
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith("/cli/main.js");
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`instruct-arrange: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
