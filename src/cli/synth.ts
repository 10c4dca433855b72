import { Command, Option } from "commander";
import { usageError } from "../core/errors.js";
import {
  REWRITE_DOMAINS,
  type RewriteDomain,
  type RewriteOptions,
  UNSEEN_MODES,
  type UnseenMode,
} from "../synth/rewrite.js";
import { writeRewrite } from "../synth/write.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { intOption, numberOption } from "./options.js";

/** Parser for `MIN:MAX` (or a single `N` meaning N:N) integer ranges. */
export function rangeOption(flag: string, example: string) {
  return (value: string): [number, number] => {
    const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(value);
    if (!m)
      throw usageError(
        `${flag} must be MIN:MAX (or N), got "${value}"`,
        flag,
        `pass e.g. ${flag} ${example}`,
      );
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    return [lo, hi];
  };
}

export function domainsOption(flag: string) {
  return (value: string): RewriteDomain[] => {
    const list = value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    for (const d of list)
      if (!REWRITE_DOMAINS.includes(d as RewriteDomain))
        throw usageError(
          `unknown domain "${d}" in ${flag}`,
          flag,
          `use a comma-separated list of: ${REWRITE_DOMAINS.join(",")}`,
        );
    return list as RewriteDomain[];
  };
}

interface RewriteFlags {
  outDir: string;
  alphabet: number;
  stringLength: [number, number];
  patternLength: [number, number];
  rules: number;
  budget: number;
  noopShare: number;
  powerLaw: number;
  domains: RewriteDomain[];
  testDomains?: RewriteDomain[];
  testRules: number;
  testPerRule: number;
  unseen: UnseenMode;
  seed: number;
  quiet?: boolean;
}

function rewriteCommand(): Command {
  const d = CLI_DEFAULTS.rewrite;
  return new Command("rewrite")
    .description(
      "Only-IF's synthetic task (arXiv 2410.04717): rule x -> y and string z; the answer is z with the leftmost x\n" +
        "replaced by y (z unchanged when x is absent). Writes train.jsonl, test.jsonl (unseen rules) and manifest.json.",
    )
    .requiredOption("--out-dir <dir>", "output directory (created when missing)")
    .option("--alphabet <n>", "letters used: the first n of a..z", intOption("--alphabet", 2, 26), d.alphabet)
    .option("--string-length <min:max>", "length of the string z", rangeOption("--string-length", "8:20"), [
      ...d.stringLength,
    ] as [number, number])
    .option(
      "--pattern-length <min:max>",
      "length of the pattern x and of the replacement y",
      rangeOption("--pattern-length", "3:6"),
      [...d.patternLength] as [number, number],
    )
    .option("--rules <I>", "distinct training rules", intOption("--rules", 1, 100), d.rules)
    .option(
      "--budget <N>",
      "training examples in all (each rule gets >= 1; uniform: floor(N/I), the first N mod I rules one more)",
      intOption("--budget", 1, 10000),
      d.budget,
    )
    .option(
      "--noop-share <s>",
      "share of examples whose string lacks the pattern (exactly round(s x count))",
      numberOption("--noop-share", "0.2"),
      d.noopShare,
    )
    .option(
      "--power-law <alpha>",
      "rule frequency proportional to rank^-alpha (0 = uniform)",
      numberOption("--power-law", "1"),
      d.powerLaw,
    )
    .option(
      "--domains <list>",
      `domains of the training rules, in turn: ${REWRITE_DOMAINS.join(",")}`,
      domainsOption("--domains"),
      [...d.domains],
    )
    .option(
      "--test-domains <list>",
      "domains of the test rules (default: --domains)",
      domainsOption("--test-domains"),
    )
    .option(
      "--test-rules <n>",
      "distinct test rules, never training rules",
      intOption("--test-rules", 0, 100),
      d.testRules,
    )
    .option(
      "--test-per-rule <n>",
      "test examples per test rule",
      intOption("--test-per-rule", 1, 10),
      d.testPerRule,
    )
    .addOption(
      new Option(
        "--unseen <what>",
        "pattern: a test rule's x is no training rule's x; rule: only the pair x -> y is new",
      )
        .choices(UNSEEN_MODES)
        .default(d.unseen),
    )
    .option("--seed <n>", "seed for every random choice", intOption("--seed", 0), d.seed)
    .option("--quiet", "no summary on stderr")
    .action(async (flags: RewriteFlags) => {
      const options: RewriteOptions = {
        alphabet: flags.alphabet,
        stringLength: flags.stringLength,
        patternLength: flags.patternLength,
        rules: flags.rules,
        budget: flags.budget,
        noopShare: flags.noopShare,
        powerLaw: flags.powerLaw,
        domains: flags.domains,
        testDomains: flags.testDomains ?? flags.domains,
        testRules: flags.testRules,
        testPerRule: flags.testPerRule,
        unseen: flags.unseen,
        seed: flags.seed,
      };
      const w = await writeRewrite(options, flags.outDir);
      if (!flags.quiet) {
        const c = w.manifest.counts;
        process.stderr.write(
          `wrote ${c.train.examples} training examples of ${c.train.rules} rules (${c.train.noops} no-ops) -> ${w.paths.train}\n` +
            `wrote ${c.test.examples} test examples of ${c.test.rules} unseen rules (${c.test.noops} no-ops) -> ${w.paths.test}\n`,
        );
      }
    });
}

export function synthCommand(): Command {
  const command = new Command("synth").description("Generate synthetic instruction-following benchmarks");
  command.addCommand(rewriteCommand().exitOverride().showHelpAfterError("(run with --help for usage)"));
  return command;
}
