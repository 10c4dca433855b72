import { readFile } from "node:fs/promises";
import type { Spec as VegaSpec } from "vega";
import type { Analysis } from "../../analyze/types.js";
import { inputError, usageError } from "../../core/errors.js";
import { Staging, writeLines } from "../../data/staging.js";
import type { ExperimentResult } from "../../experiment/result.js";
import { experimentCharts } from "../charts/experiment.js";
import { REPORT_DEFAULTS } from "../defaults.js";
import { escapeHtml, figure, pageHtml } from "../html.js";
import { makeOutputDirs, stageChartImages } from "../images.js";
import { findFont, toVega } from "../render.js";
import type { ReportChart } from "../types.js";

export interface ExperimentReportOptions {
  /** The experiment (runExperiment's result, or readExperiment of OUT/experiment.json). */
  result: ExperimentResult;
  /** The HTML file to write. */
  out: string;
  title?: string;
  /** Also write every chart as PNG / SVG (+ Vega-Lite JSON) into these directories, as `report` does. */
  pngDir?: string;
  svgDir?: string;
  font?: string;
  pngScale?: number;
}

/** The analyses the runs name (OUT/analysis/*.json), read for the similarity chart. */
export async function readExperimentAnalyses(result: ExperimentResult): Promise<Map<string, Analysis>> {
  const out = new Map<string, Analysis>();
  for (const r of result.runs) {
    if (r.analysis === undefined || out.has(r.analysis)) continue;
    let json: Analysis;
    try {
      json = JSON.parse(await readFile(r.analysis, "utf8")) as Analysis;
    } catch (cause) {
      throw inputError(
        `cannot read the analysis of ${r.label}: ${(cause as Error).message}`,
        r.analysis,
        undefined,
        "rerun the experiment (it analyzes every arm), or move OUT back where it was written",
      );
    }
    out.set(r.analysis, json);
  }
  return out;
}

const f4 = (x: number | null | undefined) =>
  typeof x === "number" && Number.isFinite(x) ? x.toFixed(4) : "–";
const pm = (s: { mean: number; std: number } | null) => (s === null ? "–" : `${f4(s.mean)} ± ${f4(s.std)}`);
const td = (text: string, num = false) => `<td${num ? ' class="num"' : ""}>${escapeHtml(text)}</td>`;
const th = (text: string) => `<th>${escapeHtml(text)}</th>`;
const table = (head: string[], rows: string[][], numFrom = 1) =>
  `<div class="wide"><table><thead><tr>${head.map(th).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => td(c, i >= numFrom)).join("")}</tr>`)
    .join("")}</tbody></table></div>`;

/** The experiment page: summary, verdicts, curves with spreads, areas, per-seed values, spec and runs. */
export function experimentHtml(
  result: ExperimentResult,
  charts: { chart: ReportChart; vega: VegaSpec }[],
  title?: string,
): string {
  const byName = new Map(charts.map((c) => [c.chart.name, c.chart]));
  const fig = (name: string) => (byName.has(name) ? figure(byName.get(name)!) : "");
  const t = result.training;
  const meta =
    `${escapeHtml(result.description || result.name)}. ` +
    `${result.summary.length} arms × ${result.seeds.length} seeds (${escapeHtml(result.seeds.join(", "))}); ` +
    (t
      ? `model ${escapeHtml(t.model)}, ${t.steps} steps of ${t.batchSize}, test loss every ${t.evalEvery} steps on ${t.testExamples} examples; `
      : "") +
    `training set ${escapeHtml(result.train)}, test set ${escapeHtml(result.test)}` +
    (result.split ? ` (task split: held out ${escapeHtml(result.split.holdout.join(", "))})` : "") +
    ".";
  const summary = table(
    ["arm", "training rows", "runs", "area: mean ± std", "final loss: mean ± std"],
    result.summary.map((s) => [s.label, String(s.rows), String(s.runs), pm(s.area), pm(s.finalLoss)]),
  );
  const verdictRows = result.verdict.comparisons.map((c) => [
    c.statement,
    c.metric === "area" ? "area" : "final loss",
    c.means.map(f4).join(" / "),
    c.holdsOnMeans ? "yes" : "no",
    `${c.seedsHolding} of ${c.seeds}`,
  ]);
  const verdict =
    verdictRows.length === 0
      ? "<p>This experiment states no ordered comparison.</p>"
      : `<p>Computed from the runs, never assumed: whether the means over seeds rise in the stated order, and on how many seeds every arm's own value does.</p>${table(
          ["expected order", "metric", "means", "holds on the means", "holds per seed"],
          verdictRows,
          2,
        )}`;
  const armsLabels = result.summary.map((s) => s.label);
  const cellOf = (seed: number, arm: string, key: "area" | "finalLoss") =>
    f4(result.runs.find((r) => r.seed === seed && r.arm === arm)?.[key]);
  const perSeed = table(
    ["seed", ...armsLabels.map((l) => `${l} area`), ...armsLabels.map((l) => `${l} final`)],
    result.seeds.map((seed) => [
      String(seed),
      ...armsLabels.map((l) => cellOf(seed, l, "area")),
      ...armsLabels.map((l) => cellOf(seed, l, "finalLoss")),
    ]),
  );
  const runs = table(
    ["run", "run directory", "arranged file", "area", "final loss", "min loss", "steps/s", "reused"],
    result.runs.map((r) => [
      r.label,
      r.runDir,
      r.arranged,
      f4(r.area),
      f4(r.finalLoss),
      f4(r.minLoss),
      r.stepsPerSecond === null ? "–" : r.stepsPerSecond.toFixed(3),
      r.reused ? "yes" : "no",
    ]),
    3,
  );
  const body = [
    `<section id="summary"><h2>Summary</h2>${summary}</section>`,
    `<section id="verdict"><h2>Verdict</h2>${verdict}</section>`,
    `<section id="curves"><h2>Curves</h2>${fig("experiment-curves")}${fig("experiment-areas")}${
      byName.has("experiment-similarity")
        ? fig("experiment-similarity")
        : "<p>No analyses of the arms' data (an experiment run with --no-analyze, or written before): no similarity chart.</p>"
    }</section>`,
    `<section id="seeds"><h2>Per seed</h2>${perSeed}</section>`,
    `<section id="spec"><h2>Spec</h2><p>From ${escapeHtml(result.specSource ?? result.name)}.</p><pre>${escapeHtml(
      JSON.stringify(result.spec ?? null, null, 2),
    )}</pre></section>`,
    `<section id="runs"><h2>Runs</h2>${runs}</section>`,
  ].join("\n");
  return pageHtml({
    title: title ?? `Experiment ${result.name}${result.figure ? ` (${result.figure})` : ""}`,
    meta,
    nav: [
      ["summary", "Summary"],
      ["verdict", "Verdict"],
      ["curves", "Curves"],
      ["seeds", "Per seed"],
      ["spec", "Spec"],
      ["runs", "Runs"],
    ],
    body,
    charts,
  });
}

/**
 * Writes the experiment's HTML page (charts inline, offline) and, with pngDir/svgDir, every chart as an
 * image, like `report`. All files appear together or not at all; the same result gives the same bytes.
 */
export async function experimentReport(
  options: ExperimentReportOptions,
): Promise<{ out: string; charts: string[]; images: string[]; bytes: number }> {
  const pngScale = options.pngScale ?? REPORT_DEFAULTS.pngScale;
  if (!(pngScale > 0 && pngScale <= 8))
    throw usageError(
      `--png-scale must be in (0, 8], got ${pngScale}`,
      "--png-scale",
      "pass e.g. --png-scale 2",
    );
  const font = options.pngDir !== undefined ? findFont(options.font) : undefined;
  const analyses = await readExperimentAnalyses(options.result);
  const charts = experimentCharts(options.result, analyses).map((chart) => ({
    chart,
    vega: toVega(chart.spec),
  }));
  const html = experimentHtml(options.result, charts, options.title);
  await makeOutputDirs(options);
  const staged = new Staging();
  let images: string[];
  try {
    await writeLines(staged.path(options.out), [html]);
    images = await stageChartImages(staged, charts, { ...options, font, pngScale });
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return {
    out: options.out,
    charts: charts.map((c) => c.chart.name),
    images,
    bytes: Buffer.byteLength(html, "utf8"),
  };
}
