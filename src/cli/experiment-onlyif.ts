import { Command, Option } from "commander";
import { ONLYIF_DEFAULTS } from "../experiment/onlyif.js";
import { onlyIfThreshold } from "../pipeline/onlyif-threshold.js";
import {
  REWRITE_DOMAINS,
  REWRITE_INSTRUCTION_STYLES,
  type RewriteDomain,
  type RewriteInstructionStyle,
  UNSEEN_MODES,
  type UnseenMode,
} from "../synth/rewrite.js";
import { CLI_DEFAULTS } from "./defaults.js";
import { intOption, numberOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";
import { domainsOption, rangeOption } from "./synth.js";
import { addTrainingOptions, type TrainingFlags, trainingOptions } from "./train.js";

interface OnlyIfFlags extends TrainingFlags {
  outDir: string;
  rules?: number[];
  budget?: number;
  seeds?: number[];
  alphabet?: number;
  stringLength?: [number, number];
  patternLength?: [number, number];
  noopShare?: number;
  powerLaw?: number;
  domains?: RewriteDomain[];
  testDomains?: RewriteDomain[];
  testRules?: number;
  testPerRule?: number;
  unseen?: UnseenMode;
  seenTest?: number;
  instruction?: RewriteInstructionStyle;
  generateAt?: number[];
  maxNewTokens?: number;
  parallel?: number;
  resume: boolean;
  pngDir?: string;
  font?: string;
  quiet?: boolean;
  logJson?: boolean;
}

function intList(flag: string, min: number) {
  const one = intOption(flag, min);
  return (value: string): number[] =>
    value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
      .map(one);
}

export function onlyIfCommand(): Command {
  const d = ONLYIF_DEFAULTS;
  const command = new Command("onlyif-threshold")
    .description(
      "Only-IF's question (arXiv 2410.04717): at a fixed budget, does exact-match accuracy on unseen rewrite rules " +
        "jump once the number of distinct training rules I is large enough? Sweeps I (synth rewrite data, test rules " +
        "drawn first so every I is scored on the same unseen-rule test set), trains each with the PyTorch backend and " +
        "writes OUT/experiment.json (accuracies, per-I mean/std, computed threshold) and OUT/report.html.",
    )
    .requiredOption("--out-dir <dir>", "experiment directory")
    .option("--rules <list>", `values of I (default ${d.rules.join(",")})`, intList("--rules", 1))
    .option("--budget <N>", `training examples per run (default ${d.budget})`, intOption("--budget", 1, 2048))
    .option("--seeds <list>", "seeds: data, test set and initialization (default 0)", intList("--seeds", 0))
    .option("--alphabet <n>", `letters used (default ${d.synth.alphabet})`, intOption("--alphabet", 2, 6))
    .option(
      "--string-length <min:max>",
      `length of the string z (default ${d.synth.stringLength.join(":")})`,
      rangeOption("--string-length", "8:12"),
    )
    .option(
      "--pattern-length <min:max>",
      `length of x and y (default ${d.synth.patternLength.join(":")})`,
      rangeOption("--pattern-length", "2:3"),
    )
    .option(
      "--noop-share <s>",
      `share of no-op examples (default ${d.synth.noopShare})`,
      numberOption("--noop-share", "0.2"),
    )
    .option(
      "--power-law <alpha>",
      "rule frequency ∝ rank^-alpha (default 0)",
      numberOption("--power-law", "1"),
    )
    .option(
      "--domains <list>",
      `domains of the training rules, of ${REWRITE_DOMAINS.join(",")} (default ${d.synth.domains.join(",")})`,
      domainsOption("--domains"),
    )
    .option(
      "--test-domains <list>",
      "domains of the test rules (default --domains)",
      domainsOption("--test-domains"),
    )
    .option(
      "--test-rules <n>",
      `unseen test rules (default ${d.synth.testRules})`,
      intOption("--test-rules", 1, 32),
    )
    .option(
      "--test-per-rule <n>",
      `test examples per unseen rule (default ${d.synth.testPerRule})`,
      intOption("--test-per-rule", 1, 4),
    )
    .addOption(
      new Option(
        "--unseen <what>",
        "pattern: test patterns never trained on; rule: only the pair is new",
      ).choices(UNSEEN_MODES),
    )
    .option(
      "--seen-test <n>",
      `fresh examples of training rules also scored (default ${d.seenTest}; 0 = none)`,
      intOption("--seen-test", 0, 64),
    )
    .addOption(
      new Option("--instruction <style>", "compact: `rewrite x -> y`; full: synth rewrite's sentence")
        .choices(REWRITE_INSTRUCTION_STYLES)
        .default(CLI_DEFAULTS.onlyif.instruction),
    )
    .option(
      "--generate-at <steps>",
      "also score greedy answers at these steps (the last step always is)",
      intList("--generate-at", 0),
    )
    .option(
      "--max-new-tokens <n>",
      "tokens per greedy answer (default: longest string + pattern-length spread + 2)",
      intOption("--max-new-tokens", 1, 16),
    )
    .option("--parallel <n>", "trainings at once (default 1)", intOption("--parallel", 1, 2))
    .option("--no-resume", "train every run again even when OUT holds it complete with the same settings")
    .option(
      "--png-dir <dir>",
      "also write the charts as PNG (onlyif-threshold.png, onlyif-threshold-loss.png)",
    )
    .option("--font <file>", "font file for the PNG text (default: DejaVu Sans if installed)");
  addTrainingOptions(command);
  // The sweep's own default: every run is evaluated four times (train's help says its default of 10).
  const evalEvery = command.options.find((o) => o.long === "--eval-every");
  if (evalEvery !== undefined)
    evalEvery.description = "steps between test evaluations (default: a quarter of the steps)";
  return command
    .option("--quiet", "no progress or messages on stderr")
    .option("--log-json", "progress and messages as JSON lines on stderr")
    .action(async (flags: OnlyIfFlags) => {
      const mode = pickProgressMode(flags, process.stderr);
      const progress = createProgressRenderer(mode);
      try {
        const synth = Object.fromEntries(
          Object.entries({
            alphabet: flags.alphabet,
            stringLength: flags.stringLength,
            patternLength: flags.patternLength,
            noopShare: flags.noopShare,
            powerLaw: flags.powerLaw,
            domains: flags.domains,
            testDomains: flags.testDomains,
            testRules: flags.testRules,
            testPerRule: flags.testPerRule,
            unseen: flags.unseen,
          }).filter(([, v]) => v !== undefined),
        );
        const r = await onlyIfThreshold({
          out: flags.outDir,
          rules: flags.rules,
          budget: flags.budget,
          seeds: flags.seeds,
          synth,
          seenTest: flags.seenTest,
          instruction: flags.instruction,
          generateAt: flags.generateAt,
          parallel: flags.parallel,
          resume: flags.resume,
          pngDir: flags.pngDir,
          font: flags.font,
          onProgress: progress.sink,
          trainOptions: {
            ...trainingOptions(flags),
            maxNewTokens: flags.maxNewTokens,
            onProgress: progress.sink,
          },
        });
        progress.stop();
        for (const s of r.summary) {
          const f = (m: { mean: number; std: number } | null) =>
            m === null
              ? "-"
              : `${(100 * m.mean).toFixed(1)}%${m.std > 0 ? ` ± ${(100 * m.std).toFixed(1)}` : ""}`;
          const g = (m: { mean: number; std: number } | null) =>
            m === null ? "-" : `${m.mean.toFixed(3)}${m.std > 0 ? ` ± ${m.std.toFixed(3)}` : ""}`;
          progress.info(
            `I=${String(s.rules).padStart(5)}: unseen ${f(s.unseen)} (rewrites ${f(s.unseenApply)}, no-ops ${f(s.unseenNoop)}), seen ${f(s.seen)}; ` +
              `test loss unseen ${g(s.loss.unseen)}, seen ${g(s.loss.seen)}, gap ${g(s.loss.gap)} (${s.runs} runs)`,
          );
        }
        for (const t of r.threshold) progress.info(t.description);
        progress.info(`-> ${flags.outDir}/experiment.json, ${flags.outDir}/report.html`);
      } finally {
        progress.stop();
      }
    });
}
