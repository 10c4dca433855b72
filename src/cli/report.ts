import { Command, Option } from "commander";
import { CURVE_NAMES } from "../analyze/types.js";
import { usageError } from "../core/errors.js";
import { REPORT_DEFAULTS } from "../report/defaults.js";
import type { ReportOptions } from "../report/types.js";
import { intOption, numberOption } from "./options.js";
import { createProgressRenderer, pickProgressMode } from "./progress.js";

type ReportFlags = {
  analysis?: string[];
  label?: string[];
  diversity?: string[];
  diversityLabel?: string[];
  taskMeasure?: (typeof CURVE_NAMES)[number];
  maxTaskPanels?: number;
  trainRun?: string[];
  experiment?: string;
  manifest?: string[];
  allowMixed?: boolean;
  out: string;
  pngDir?: string;
  svgDir?: string;
  title?: string;
  font?: string;
  pngScale?: number;
  tableRows?: number;
  maxSteps?: number;
  logSteps?: boolean;
  taskGroup?: string;
  measures?: string[];
  figure?: string;
  figureWidth?: number;
  dpi?: number;
  quiet?: boolean;
  logJson?: boolean;
};

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `report --experiment FILE`: the experiment page (and its images) from OUT/experiment.json. */
async function experimentPage(
  flags: ReportFlags,
  file: string,
  info: (message: string, json?: Record<string, unknown>) => void,
): Promise<void> {
  const other = (
    [
      ["--analysis", flags.analysis],
      ["--diversity", flags.diversity],
      ["--train-run", flags.trainRun],
      ["--manifest", flags.manifest],
    ] as const
  ).find(([, v]) => v !== undefined);
  if (other !== undefined)
    throw usageError(
      `--experiment draws an experiment's own page and takes no ${other[0]}`,
      other[0],
      `drop ${other[0]}, or write a second report without --experiment`,
    );
  const { readExperiment } = await import("../experiment/result.js");
  const { experimentReport } = await import("../report/pages/experiment.js");
  const r = await experimentReport({
    result: await readExperiment(file),
    out: flags.out,
    title: flags.title,
    pngDir: flags.pngDir,
    svgDir: flags.svgDir,
    font: flags.font,
    pngScale: flags.pngScale,
  });
  info(
    `experiment report with ${r.charts.length} charts (${r.charts.join(", ")}), ${(r.bytes / 1024).toFixed(0)} KiB -> ${r.out}` +
      (r.images.length > 0 ? `; ${r.images.length} image files` : ""),
    { out: r.out, charts: r.charts, images: r.images, bytes: r.bytes },
  );
}

export function reportCommand(): Command {
  return new Command("report")
    .description(
      "Draw analyses (and training runs' loss) and/or diversity reports as one self-contained HTML page that\n" +
        "opens offline: similarity curves of one or several arrangements side by side (overall and per test\n" +
        "task), WSD distribution, TMA rounds, 2-D projection, contamination table, run manifests; diversity\n" +
        "overall and per task. --png-dir/--svg-dir write each chart as an image.",
    )
    .addOption(
      new Option(
        "--analysis <file>",
        "analysis JSON from `analyze --out` (repeat for several arrangements); this and/or --diversity",
      ).argParser(collect),
    )
    .requiredOption("--out <file>", "HTML file to write")
    .option("--label <name>", "name of each --analysis, in the same order (repeat)", collect)
    .option(
      "--diversity <file>",
      "diversity JSON from `diversity --out` (repeat to compare datasets side by side)",
      collect,
    )
    .option("--diversity-label <name>", "name of each --diversity, in the same order (repeat)", collect)
    .addOption(
      new Option(
        "--task-measure <name>",
        `similarity measure of the per-test-task curves (default ${REPORT_DEFAULTS.taskMeasure})`,
      ).choices(CURVE_NAMES),
    )
    .option(
      "--max-task-panels <n>",
      `per-test-task curve panels at most, the tasks with the most test rows (default ${REPORT_DEFAULTS.maxTaskPanels}; 0 = none)`,
      intOption("--max-task-panels", 0),
    )
    .option(
      "--train-run <dir|curves.json>",
      "training run directory (its curves.json) or curves file: loss drawn on the same step axis (repeat)",
      collect,
    )
    .option(
      "--experiment <file>",
      "an experiment's OUT/experiment.json: its page (mean curves with spreads over seeds, areas, verdicts) instead",
    )
    .option(
      "--manifest <file>",
      "run manifest to show besides those found beside the training files (repeat)",
      collect,
    )
    .option(
      "--allow-mixed",
      "overlay analyses of different training or test sets (refused by default: the curves would not compare arrangements of one set)",
    )
    .option("--title <text>", "page title (default: instruct-arrange report)")
    .option("--png-dir <dir>", "also write each chart as PNG (rendered in Node; needs a font, see --font)")
    .option("--svg-dir <dir>", "also write each chart as SVG, with its Vega-Lite spec as NAME.vl.json")
    .option("--font <file.ttf>", "font file for PNG text (default: DejaVu Sans from the system)")
    .option(
      "--png-scale <x>",
      `PNG pixels per chart pixel (default ${REPORT_DEFAULTS.pngScale})`,
      numberOption("--png-scale", "2"),
    )
    .option(
      "--table-rows <n>",
      `contamination table rows per arrangement (default ${REPORT_DEFAULTS.tableRows})`,
      intOption("--table-rows", 0),
    )
    .option(
      "--max-steps <n>",
      "last optimizer step drawn on every step axis (default: all)",
      intOption("--max-steps", 1),
    )
    .option("--log-steps", "logarithmic step axis (step 0 is left out)")
    .option(
      "--task-group <regex>",
      "group task names for the per-task charts: the first capture group (else the match) names the group, e.g. '^(ag_news|cosmos_qa|[a-z]+)'",
    )
    .option(
      "--measures <list>",
      "panels of the curves charts, comma-separated, among the nine measures and wsd (default all)",
      (v: string) =>
        v
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x !== ""),
    )
    .option(
      "--figure <chart>",
      "draw only this chart (curves, window-curves, task-curves, composition, batch-tasks, wsd, rounds, projection, coverage) into --out .svg/.png, with its data as .csv beside it",
    )
    .option(
      "--figure-width <inches>",
      `figure width (default ${REPORT_DEFAULTS.figureWidth}: one column; 6.75: two columns)`,
      numberOption("--figure-width", "3.25"),
    )
    .option(`--dpi <n>`, `PNG figure resolution (default ${REPORT_DEFAULTS.dpi})`, intOption("--dpi", 1))
    .option("--quiet", "print nothing but errors")
    .option("--log-json", "messages as JSON lines on stderr")
    .action(async (flags: ReportFlags) => {
      const renderer = createProgressRenderer(pickProgressMode(flags, process.stderr));
      if (flags.experiment !== undefined) {
        try {
          await experimentPage(flags, flags.experiment, renderer.info);
        } finally {
          renderer.stop();
        }
        return;
      }
      const options: ReportOptions = {
        analyses: flags.analysis,
        labels: flags.label,
        diversity: flags.diversity,
        diversityLabels: flags.diversityLabel,
        taskMeasure: flags.taskMeasure,
        maxTaskPanels: flags.maxTaskPanels,
        trainRuns: flags.trainRun,
        manifests: flags.manifest,
        allowMixed: flags.allowMixed,
        out: flags.out,
        pngDir: flags.pngDir,
        svgDir: flags.svgDir,
        title: flags.title,
        font: flags.font,
        pngScale: flags.pngScale,
        tableRows: flags.tableRows,
        maxSteps: flags.maxSteps,
        logSteps: flags.logSteps,
        taskGroup: flags.taskGroup,
        measures: flags.measures,
        figure: flags.figure,
        figureWidth: flags.figureWidth,
        dpi: flags.dpi,
        onProgress: renderer.sink,
      };
      try {
        // Loaded on use: vega, vega-lite and resvg add ~0.3 s to every start of the CLI otherwise.
        const { report } = await import("../report/report.js");
        const r = await report(options);
        if (r.csv !== undefined) {
          renderer.info(`figure ${r.charts[0]} -> ${r.out}, its data -> ${r.csv}`, {
            out: r.out,
            csv: r.csv,
          });
          return;
        }
        renderer.info(
          `report with ${r.charts.length} charts (${r.charts.join(", ")}), ${r.manifests.length} manifests, ` +
            `${(r.bytes / 1024).toFixed(0)} KiB -> ${r.out}` +
            (r.images.length > 0 ? `; ${r.images.length} image files` : ""),
          { out: r.out, charts: r.charts, images: r.images, manifests: r.manifests, bytes: r.bytes },
        );
      } finally {
        renderer.stop();
      }
    });
}
