import type { Spec as VegaSpec } from "vega";
import { CURVE_NAMES } from "../analyze/types.js";
import { usageError } from "../core/errors.js";
import { noProgress } from "../core/progress.js";
import { checkOutputPaths } from "../data/outputs.js";
import { Staging, writeLines } from "../pipeline/staging.js";
import { REPORT_DEFAULTS } from "./defaults.js";
import { reportHtml } from "./html.js";
import { makeOutputDirs, stageChartImages } from "./images.js";
import { loadReportData } from "./load.js";
import { findFont, toVega } from "./render.js";
import { reportCharts } from "./specs.js";
import type { ReportChart, ReportOptions, ReportResult } from "./types.js";

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
  return { pngScale, tableRows, taskMeasure, maxTaskPanels };
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

  const chartOptions = { taskMeasure: o.taskMeasure, maxTaskPanels: o.maxTaskPanels };
  const charts: { chart: ReportChart; vega: VegaSpec }[] = reportCharts(data, chartOptions).map((chart) => ({
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
