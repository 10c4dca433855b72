import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { ArrangeError, isArrangeError, usageError } from "../core/errors.js";
import { repeatable } from "./options.js";

/**
 * One vocabulary across commands, applied to the built program by `applyVocabulary`:
 *
 * - one meaning per name: `--train`/`--test` are the training and test sets, `--input` the one data set of a
 *   command that reads one, `--data DIR` a directory of task files split by `--holdout`; `--out FILE` is an
 *   output file and `--out-dir DIR` an output directory; `--batch-size` is examples per optimizer step, the
 *   embedder's batch is `--embed-batch-size` and an evaluation's `--eval-batch-size`; `--threads` is the
 *   trainer's or model's CPU threads (train, experiment, evaluate), the embedder's are `--embed-threads`;
 * - the old spellings (`DEPRECATED_SPELLINGS`) still work for one release, with a one-line notice on stderr;
 * - short flags (`SHORT_FLAGS`), the same letter for the same long flag in every command;
 * - `-c, --config FILE` in every command: YAML or JSON, keys are the long flag names, the command line wins.
 */

/** Short flags: one letter per long flag, in every command that has the long flag. */
export const SHORT_FLAGS: Readonly<Record<string, string>> = {
  "--out": "-o",
  "--out-dir": "-d",
  "--input": "-i",
  "--embedder": "-e",
  "--quiet": "-q",
  "--config": "-c",
};

/** Old spellings per command (path below the program, e.g. "experiment run"): old long flag -> new. */
export const DEPRECATED_SPELLINGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  arrange: { "--batch-size": "--embed-batch-size", "--threads": "--embed-threads" },
  analyze: { "--threads": "--embed-threads" },
  embed: { "--batch-size": "--embed-batch-size", "--threads": "--embed-threads" },
  diversity: { "--batch-size": "--embed-batch-size", "--threads": "--embed-threads" },
  evaluate: { "--data": "--test", "--batch-size": "--eval-batch-size" },
  export: { "--out": "--out-dir" },
  train: { "--data": "--train", "--eval": "--test", "--out": "--out-dir" },
  "experiment run": { "--out": "--out-dir" },
  "experiment onlyif-threshold": { "--out": "--out-dir" },
  "synth rewrite": { "--out": "--out-dir" },
};

/** The release that drops the old spellings. */
const REMOVED_IN = "0.2.0";

/** An old spelling: a hidden option that fills the new one's value, and remembers that it was used. */
export class DeprecatedOption extends Option {
  used = false;
  constructor(
    readonly oldLong: string,
    readonly target: Option,
  ) {
    super(
      `${oldLong}${target.required ? " <value>" : target.optional ? " [value]" : ""}`,
      target.description,
    );
    this.hideHelp();
    const parse = target.parseArg;
    this.argParser((value: string, previous: unknown) => {
      this.used = true;
      return parse === undefined ? value : parse.call(target, value, previous);
    });
  }

  override attributeName(): string {
    return this.target.attributeName();
  }

  notice(): string {
    return `${this.oldLong} is deprecated, use ${this.target.long} (the old spelling goes in ${REMOVED_IN})`;
  }
}

/** The options that must have a value once the command line and --config are merged. */
const REQUIRED = new WeakSet<Option>();

/** Whether the option must have a value once the command line and --config are merged. */
export function isRequired(option: Option): boolean {
  return REQUIRED.has(option);
}

/** The command's path below the program: "arrange", "experiment run". */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

/**
 * Give every command of `program` the shared vocabulary: --config, the old spellings, the short flags; and
 * check required options after --config is read (commander's own check runs before any hook could read it).
 */
export function applyVocabulary(program: Command): Command {
  for (const command of leaves(program)) {
    const path = commandPath(command);
    command.addOption(
      new Option(
        "--config <file>",
        "read options from a YAML or JSON file: keys are the long flag names without the dashes; flags given on the command line win",
      ),
    );
    for (const [oldLong, newLong] of Object.entries(DEPRECATED_SPELLINGS[path] ?? {})) {
      const target = command.options.find((o) => o.long === newLong);
      if (target === undefined)
        throw new Error(`${path}: ${oldLong} is an old spelling of ${newLong}, which is missing`);
      command.addOption(new DeprecatedOption(oldLong, target));
    }
    for (const option of command.options) {
      const short = option.long === undefined ? undefined : SHORT_FLAGS[option.long];
      if (short !== undefined && option.short === undefined) {
        if (command.options.some((o) => o.short === short))
          throw new Error(`${path}: the short flag ${short} of ${option.long} is taken`);
        option.short = short;
        option.flags = `${short}, ${option.flags}`;
      }
      if (option.mandatory) {
        option.mandatory = false;
        REQUIRED.add(option);
      }
    }
  }
  program.hook("preAction", (_program, action) => prepareCommand(action));
  return program;
}

/** Before a command's action: read --config, print the old-spelling notices, check the required options. */
export function prepareCommand(command: Command): void {
  const file = command.getOptionValue("config") as string | undefined;
  const fromConfig = file === undefined ? [] : applyConfig(command, file);
  // The file's name is the CLI's business only: the pipeline options the flags spread into stay as they were.
  if (file !== undefined) command.setOptionValueWithSource("config", undefined, "cli");
  const flags = command.opts() as { quiet?: boolean; logJson?: boolean };
  const notices = [
    ...command.options.filter((o): o is DeprecatedOption => o instanceof DeprecatedOption && o.used),
    ...fromConfig,
  ].map((o) => o.notice());
  if (flags.quiet !== true)
    for (const notice of new Set(notices))
      process.stderr.write(
        flags.logJson === true
          ? `${JSON.stringify({ event: "warning", message: notice, deprecated: true })}\n`
          : `instruct-arrange: warning: ${notice}\n`,
      );
  for (const option of command.options)
    if (REQUIRED.has(option) && command.getOptionValue(option.attributeName()) === undefined)
      command.error(`error: required option '${option.flags.replace(/^-\w, /, "")}' not specified`, {
        code: "commander.missingMandatoryOptionValue",
      });
}

function configError(file: string, message: string, fix: string): ArrangeError {
  return new ArrangeError("usage", message, { file, option: "--config", fix });
}

/** The file's top-level mapping; YAML covers JSON. */
function readConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ArrangeError("io", `cannot read the --config file: ${(e as Error).message}`, {
      file,
      option: "--config",
      fix: "pass the path of a YAML or JSON file",
      cause: e,
    });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw configError(file, `not valid YAML or JSON: ${(e as Error).message}`, "fix the syntax of the file");
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data))
    throw configError(
      file,
      "a --config file holds one mapping of option names to values",
      "write it as `name: value` lines (YAML) or one JSON object",
    );
  return data as Record<string, unknown>;
}

/** The option a config key names: its long flag, or the positive name of a `--no-x` flag. */
function optionForKey(command: Command, key: string): { option: Option; negated: boolean } | undefined {
  const option = command.options.find((o) => o.long === `--${key}`);
  if (option !== undefined) return { option, negated: false };
  const negative = command.options.find((o) => o.negate && o.long === `--no-${key}`);
  return negative === undefined ? undefined : { option: negative, negated: true };
}

/** Set every key of `file` whose option the command line did not give; returns the old spellings used. */
function applyConfig(command: Command, file: string): DeprecatedOption[] {
  const path = commandPath(command);
  const used: DeprecatedOption[] = [];
  for (const [key, raw] of Object.entries(readConfig(file))) {
    const found = optionForKey(command, key);
    if (found === undefined || key === "config")
      throw configError(
        file,
        `unknown key "${key}" for \`instruct-arrange ${path}\``,
        `use the long flag names of \`instruct-arrange ${path} --help\` without the dashes (e.g. ${exampleKeys(command)}), or remove the key`,
      );
    const { option, negated } = found;
    if (option instanceof DeprecatedOption) used.push(option);
    const attribute = option.attributeName();
    if (command.getOptionValueSource(attribute) === "cli") continue;
    // `manifest: false` where both --manifest FILE and --no-manifest exist: the negation.
    const negation = command.options.find((o) => o.negate && o.long === `--no-${key}`);
    const value =
      raw === false && !option.isBoolean() && negation !== undefined
        ? false
        : configValue(option, negated, raw, file, key);
    command.setOptionValueWithSource(attribute, value, "config");
  }
  return used;
}

function exampleKeys(command: Command): string {
  return command.options
    .filter((o) => !o.hidden && o.long !== undefined && o.long !== "--config")
    .slice(0, 3)
    .map((o) => o.long?.replace(/^--/, ""))
    .join(", ");
}

/** The value a config entry gives the option, through the option's own parser (the flag's checks apply). */
function configValue(option: Option, negated: boolean, raw: unknown, file: string, key: string): unknown {
  const where = `key "${key}"`;
  if (option.isBoolean()) {
    if (typeof raw !== "boolean")
      throw configError(
        file,
        `${where} takes true or false, got ${JSON.stringify(raw)}`,
        `write ${key}: true`,
      );
    return option.negate && !negated ? !raw : raw;
  }
  const parse = (value: string, previous: unknown) => {
    try {
      return option.parseArg === undefined ? value : option.parseArg(value, previous);
    } catch (e) {
      if (isArrangeError(e))
        throw new ArrangeError("usage", `${where}: ${e.message}`, { file, option: e.option, fix: e.fix });
      if (e instanceof InvalidArgumentError)
        throw configError(file, `${where}: ${e.message}`, `give ${key} one of the values the message lists`);
      throw e;
    }
  };
  const scalar = (v: unknown): string => {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
    throw usageError(`${where} takes a value or a list of values, got ${JSON.stringify(v)}`);
  };
  try {
    if (!Array.isArray(raw)) return parse(scalar(raw), undefined);
    // A list: one value per entry for a repeatable flag, else the flag's comma-separated form.
    const target = option instanceof DeprecatedOption ? option.target : option;
    if (target.parseArg === repeatable)
      return raw.reduce<unknown>((previous, v) => parse(scalar(v), previous), undefined);
    return parse(raw.map(scalar).join(","), undefined);
  } catch (e) {
    if (isArrangeError(e) && e.file === undefined)
      throw configError(file, e.message, `write ${key} as a string, a number or a list of them`);
    throw e;
  }
}
