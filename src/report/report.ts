import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Spec as VegaSpec } from "vega";
import type { TopLevelSpec } from "vega-lite";
import { CURVE_NAMES } from "../analyze/types.js";
import { usageError } from "../core/errors.js";
import { noProgress } from "../core/progress.js";
import { checkOutputPaths } from "../data/outputs.js";
import { Staging, writeLines } from "../data/staging.js";
import { ANALYSIS_CHARTS } from "./charts/analysis.js";
import { reportCharts } from "./charts/index.js";
import { checkTaskGroupMeasure, STEP_MEASURES } from "./charts/shared.js";
import { REPORT_DEFAULTS } from "./defaults.js";
import { chartCsv, makeOutputDirs, stageChartImages } from "./images.js";
import { loadReportData } from "./load.js";
import { reportHtml } from "./pages/analysis.js";
import { findFont, svgInInches, svgToPngWidth, toVega, vegaToSvg } from "./render.js";
import type { ChartOptions, ReportChart, ReportOptions, ReportResult } from "./types.js";

export { REPORT_DEFAULTS };

function validate(o: ReportOptions) {
  if (!o.out) throw usageError("no output file given", "--out", "pass --out report.html");
  const pngScale = o.pngScale ?? REPORT_DEFAULTS.pngScale;
  if (!(pngScale > 0 && pngScale <= 8))
    throw usageError(
      `--png-scale must be in (0, 8], got ${pngScale}`,
      "--png-scale",
      "pass e.g. --png-scale 2",
    );
  const tableRows = o.tableRows ?? REPORT_DEFAULTS.tableRows;
  if (!Number.isSafeInteger(tableRows) || tableRows < 0)
    throw usageError(
      `--table-rows must be an integer >= 0, got ${tableRows}`,
      "--table-rows",
      "pass e.g. --table-rows 50",
    );
  const taskMeasure = o.taskMeasure ?? REPORT_DEFAULTS.taskMeasure;
  if (!(CURVE_NAMES as readonly string[]).includes(taskMeasure))
    throw usageError(
      `--task-measure must be one of ${CURVE_NAMES.join(", ")}; got "${taskMeasure}"`,
      "--task-measure",
      `pass e.g. --task-measure ${REPORT_DEFAULTS.taskMeasure}`,
    );
  const maxTaskPanels = o.maxTaskPanels ?? REPORT_DEFAULTS.maxTaskPanels;
  if (!Number.isSafeInteger(maxTaskPanels) || maxTaskPanels < 0)
    throw usageError(
      `--max-task-panels must be an integer >= 0, got ${maxTaskPanels}`,
      "--max-task-panels",
      "pass e.g. --max-task-panels 12 (0 leaves the per-task curves out)",
    );
  if (o.maxSteps !== undefined && !(Number.isSafeInteger(o.maxSteps) && o.maxSteps >= 1))
    throw usageError(
      `--max-steps must be an integer >= 1, got ${o.maxSteps}`,
      "--max-steps",
      "pass e.g. --max-steps 300",
    );
  let taskGroup: RegExp | undefined;
  if (o.taskGroup !== undefined) {
    try {
      taskGroup = new RegExp(o.taskGroup);
    } catch (cause) {
      throw usageError(
        `--task-group is not a valid regular expression: ${(cause as Error).message}`,
        "--task-group",
        "pass e.g. --task-group '^(.+?)_' (the first capture group names the group)",
      );
    }
  }
  for (const m of o.measures ?? [])
    if (!(STEP_MEASURES as readonly string[]).includes(m))
      throw usageError(
        `--measures: unknown measure "${m}"`,
        "--measures",
        `pick from ${STEP_MEASURES.join(", ")}`,
      );
  const chart: ChartOptions = {
    taskMeasure,
    maxTaskPanels,
    logSteps: o.logSteps ?? false,
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    ...(taskGroup !== undefined ? { taskGroup } : {}),
    ...(o.measures !== undefined && o.measures.length > 0 ? { measures: o.measures } : {}),
  };
  checkTaskGroupMeasure(chart);
  return { pngScale, tableRows, taskMeasure, maxTaskPanels, chart };
}

function validateFigure(o: ReportOptions) {
  const figure = o.figure!;
  if (!(ANALYSIS_CHARTS as readonly string[]).includes(figure))
    throw usageError(
      `--figure: no chart "${figure}"`,
      "--figure",
      `pick one of ${ANALYSIS_CHARTS.join(", ")}`,
    );
  const ext = extname(o.out).toLowerCase();
  if (ext !== ".svg" && ext !== ".png")
    throw usageError(
      `--figure writes an .svg or .png file, and --out ${o.out} is neither`,
      "--out",
      "pass e.g. --out fig.svg or --out fig.png",
    );
  const inches = o.figureWidth ?? REPORT_DEFAULTS.figureWidth;
  if (!(inches >= 1 && inches <= 20))
    throw usageError(
      `--figure-width must be in [1, 20] inches, got ${inches}`,
      "--figure-width",
      "pass e.g. --figure-width 3.25 (one column) or 6.75 (two)",
    );
  const dpi = o.dpi ?? REPORT_DEFAULTS.dpi;
  if (!(Number.isSafeInteger(dpi) && dpi >= 36 && dpi <= 1200))
    throw usageError(`--dpi must be an integer in [36, 1200], got ${dpi}`, "--dpi", "pass e.g. --dpi 300");
  if ((o.diversity ?? []).length > 0)
    throw usageError(
      "--figure draws an analysis chart and takes no --diversity",
      "--diversity",
      "drop --diversity",
    );
  return { figure, inches, dpi, png: ext === ".png" };
}

/**
 * Figure mode: one chart of the analyses given, `inches` wide, as SVG (physical size in inches) or PNG
 * (`dpi`), with the plotted data as CSV beside it. Both files appear together or not at all.
 */
async function reportFigure(options: ReportOptions, chart: ChartOptions): Promise<ReportResult> {
  const f = validateFigure(options);
  const font = f.png ? findFont(options.font) : undefined;
  const data = await loadReportData(options);
  const charts = reportCharts(data, { ...chart, width: Math.round(f.inches * 72) });
  const found = charts.find((c) => c.name === f.figure);
  if (found === undefined)
    throw usageError(
      `--figure ${f.figure}: these analyses have nothing to draw in it`,
      "--figure",
      `pick one of ${charts.map((c) => c.name).join(", ")}`,
    );
  // A paper's caption titles the figure: the chart's own title would only widen it.
  const { title: _title, ...untitled } = found.spec as TopLevelSpec & { title?: unknown };
  const svg = await vegaToSvg(toVega(untitled as TopLevelSpec));
  const csvPath = `${options.out.slice(0, options.out.length - extname(options.out).length)}.csv`;
  const csv = chartCsv(found.spec) ?? "";
  await makeOutputDirs({ out: options.out });
  const staged = new Staging();
  let bytes: number;
  try {
    if (f.png) {
      const png = svgToPngWidth(svg, font!, f.inches * f.dpi);
      bytes = png.length;
      await writeFile(staged.path(options.out), png);
    } else {
      const sized = svgInInches(svg, f.inches);
      bytes = Buffer.byteLength(sized, "utf8");
      await writeLines(staged.path(options.out), [sized]);
    }
    await writeLines(staged.path(csvPath), [csv]);
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return {
    out: options.out,
    csv: csvPath,
    charts: [found.name],
    images: [options.out, csvPath],
    manifests: [],
    bytes,
  };
}

/**
 * One self-contained HTML report from analysis files (and training runs' loss curves) and/or diversity
 * reports: similarity curves side by side (overall and per test task), WSD distribution, TMA rounds, 2-D
 * projection, contamination table, manifests; diversity figures overall and per task, cluster sizes.
 * With `pngDir`/`svgDir` every chart is also written as an image, rendered in Node. All outputs
 * appear together or not at all; the same inputs give the same bytes.
 */
export async function report(options: ReportOptions): Promise<ReportResult> {
  const o = validate(options);
  if (options.figure !== undefined) return reportFigure(options, o.chart);
  const progress = options.onProgress ?? noProgress;
  // Before any work: a PNG request without a font fails now, not after the page is built.
  const font = options.pngDir !== undefined ? findFont(options.font) : undefined;
  await checkOutputPaths(
    [
      ...(options.analyses ?? []).map((path) => ({ flag: "--analysis", path })),
      ...(options.diversity ?? []).map((path) => ({ flag: "--diversity", path })),
      ...(options.trainRuns ?? []).map((path) => ({ flag: "--train-run", path })),
      ...(options.manifests ?? []).map((path) => ({ flag: "--manifest", path })),
    ],
    [
      { flag: "--out", path: options.out, kind: "file" },
      { flag: "--png-dir", path: options.pngDir, kind: "dir", mayHoldInputs: true },
      { flag: "--svg-dir", path: options.svgDir, kind: "dir", mayHoldInputs: true },
    ],
  );
  const data = await loadReportData(options);
  progress({
    stage: "report:load",
    done: data.arrangements.length + data.diversity.length,
    unit: "files",
  });

  const charts: { chart: ReportChart; vega: VegaSpec }[] = reportCharts(data, o.chart).map((chart) => ({
    chart,
    vega: toVega(chart.spec),
  }));
  const html = reportHtml(data, charts, { tableRows: o.tableRows });

  await makeOutputDirs(options);
  const staged = new Staging();
  let images: string[];
  try {
    await writeLines(staged.path(options.out), [html]);
    images = await stageChartImages(staged, charts, {
      ...options,
      font,
      pngScale: o.pngScale,
      onChart: (done) => progress({ stage: "report:images", done, total: charts.length, unit: "charts" }),
    });
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return {
    out: options.out,
    charts: charts.map((c) => c.chart.name),
    images,
    manifests: data.manifests.map((m) => m.path),
    bytes: Buffer.byteLength(html, "utf8"),
  };
}
