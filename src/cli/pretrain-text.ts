import { Command } from "commander";
import { type PretrainTextOptions, pretrainText } from "../pipeline/pretrain-text.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { commaList, intOption, numberOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";

type PretrainTextFlags = Omit<PretrainTextOptions, "onProgress"> & { quiet?: boolean; logJson?: boolean };

export function pretrainTextCommand(): Command {
  return new Command("pretrain-text")
    .description(
      "Plain text for pretraining a built-in model (`train --objective lm`) from instruction data: each task's\n" +
        "template wording (word n-grams in at least --share of its prompts) is cut from its prompts, answers are\n" +
        "left out, short texts and duplicates dropped, and with --test every text sharing a long span with a\n" +
        'held-out prompt or answer dropped. Writes {"text"} JSONL and a manifest of every count.',
    )
    .requiredOption(
      "--data <path>",
      "instruction data: a file, or a directory of one file per task (template)",
    )
    .requiredOption("--out <file.jsonl>", 'pretraining text to write, one {"text"} row per line')
    .option(
      "--holdout <prefixes>",
      "task-name prefixes held out of --data (comma-separated): the other tasks make the text, these are the --test set",
      commaList,
    )
    .option(
      "--test <path>",
      "held-out set: texts sharing an --overlap-span span with its prompts or answers are dropped, and its templates' wording left in the text is counted",
    )
    .option("--ngram <n>", "words per template n-gram (default 3)", intOption("--ngram", 1, 3))
    .option(
      "--share <x>",
      "an n-gram in at least this share of a task's prompts is its template wording (default 0.5)",
      numberOption("--share", "0.5"),
    )
    .option(
      "--min-rows <n>",
      "tasks with fewer rows are left out: their wording cannot be told from their content (default 20)",
      intOption("--min-rows", 1, 20),
    )
    .option(
      "--min-words <n>",
      "texts with fewer words left are dropped (default 5)",
      intOption("--min-words", 1, 5),
    )
    .option(
      "--overlap-span <n>",
      "words of a span shared with the held-out set that drops a text (default 13)",
      intOption("--overlap-span", 1, 13),
    )
    .option(
      "--seed <n>",
      "seed of the output order (texts are shuffled)",
      intOption("--seed", 0),
      CLI_DEFAULTS.seed,
    )
    .option("--manifest <file>", "manifest path (default: beside --out as <name>.manifest.json)")
    .option("--task-field <name>", "record field holding the task name (default: file name in a directory)")
    .option("--skip-invalid", "skip malformed rows instead of failing")
    .option("--quiet", "no progress or messages on stderr")
    .option("--log-json", "progress and messages as JSON lines on stderr")
    .action(async (flags: PretrainTextFlags) => {
      const { quiet: _q, logJson: _l, ...options } = flags;
      const renderer = createProgressRenderer(pickProgressMode(flags, process.stderr));
      try {
        const r = await pretrainText({ ...options, onProgress: renderer.sink });
        const c = r.counts;
        const held =
          r.heldOut === null
            ? ""
            : `; ${c.overlapDropped} dropped for a ${flags.overlapSpan ?? 13}-word span shared with --test, ` +
              `${Math.max(0, ...r.heldOut.byTask.map((t) => t.textsWithAny))} texts at most hold a held-out template's n-gram`;
        renderer.info(
          `${c.texts} texts from ${c.rows} rows of ${c.tasks} tasks (${((100 * c.removedWords) / Math.max(1, c.words)).toFixed(1)}% of words were template wording; ` +
            `${c.duplicates} duplicates, ${c.tooShort} too short, ${c.rowsOfSmallTasks} rows of ${c.tasksTooSmall} small tasks left out${held}) -> ${r.out}`,
          { counts: c, out: r.out, manifest: r.manifest },
        );
      } finally {
        renderer.stop();
      }
    });
}
