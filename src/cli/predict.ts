import { Command } from "commander";
import { numberOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";

type PredictFlags = {
  experiment: string[];
  analyses?: string[];
  out: string;
  html?: string;
  pngDir?: string;
  svgDir?: string;
  font?: string;
  lambda?: number;
  quiet?: boolean;
  logJson?: boolean;
};

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function predictCommand(): Command {
  return new Command("predict")
    .description(
      "Fit the test loss at each evaluated step against the similarity of the training prefix at that step\n" +
        "(the nine analyze curves and the mean WSD) over every arm and seed of one or more experiments; report\n" +
        "the fit (coefficients, R²) and its error on a held-out arm and a held-out seed, next to a baseline that\n" +
        "knows only the step. Writes JSON (and an HTML page with predicted against measured).",
    )
    .requiredOption(
      "--experiment <dir|file>",
      "an experiment's OUT (or its experiment.json); repeat for several",
      collect,
    )
    .option(
      "--analyses <dir>",
      "per --experiment, a directory of analyses of its arranged files (NAME.analysis.json for arranged/NAME.jsonl), for runs whose experiment.json names none",
      collect,
    )
    .requiredOption("--out <file>", "JSON to write")
    .option("--html <file>", "also an HTML page")
    .option("--png-dir <dir>", "also the charts as PNG (with the plotted data as CSV)")
    .option("--svg-dir <dir>", "also the charts as SVG (with the plotted data as CSV)")
    .option("--font <file.ttf>", "font for PNG text")
    .option(
      "--lambda <x>",
      "ridge penalty on the standardized measures (default 1)",
      numberOption("--lambda", "1"),
    )
    .option("--quiet", "print nothing but errors")
    .option("--log-json", "messages as JSON lines on stderr")
    .action(async (flags: PredictFlags) => {
      const renderer = createProgressRenderer(pickProgressMode(flags, process.stderr));
      try {
        const { predict } = await import("../predict/predict.js");
        const r = await predict({
          experiments: flags.experiment,
          analyses: flags.analyses,
          out: flags.out,
          html: flags.html,
          pngDir: flags.pngDir,
          svgDir: flags.svgDir,
          font: flags.font,
          lambda: flags.lambda,
        });
        for (const m of r.models)
          renderer.info(
            `${m.name}: fit R² ${m.fit.r2.toFixed(3)}, held-out arm RMSE ${m.heldOutArm.rmse.toFixed(4)}, held-out seed RMSE ${m.heldOutSeed.rmse.toFixed(4)}`,
            { model: m.name, fit: m.fit, heldOutArm: m.heldOutArm, heldOutSeed: m.heldOutSeed },
          );
        renderer.info(`${r.finding} -> ${flags.out}`, { finding: r.finding, out: flags.out });
      } finally {
        renderer.stop();
      }
    });
}
