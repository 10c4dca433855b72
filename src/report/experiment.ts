import { readFile } from "node:fs/promises";
import type { Spec as VegaSpec } from "vega";
import type { TopLevelSpec } from "vega-lite";
import type { Analysis } from "../analyze/types.js";
import { inputError, usageError } from "../core/errors.js";
import { Staging, writeLines } from "../data/staging.js";
import type { ExperimentResult } from "../experiment/result.js";
import { REPORT_DEFAULTS } from "./defaults.js";
import { escapeHtml, figure, pageHtml } from "./html.js";
import { makeOutputDirs, stageChartImages } from "./images.js";
import { findFont, toVega } from "./render.js";
import { CONFIG, PALETTE, SCHEMA } from "./specs.js";
import type { ReportChart } from "./types.js";

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

function colors(result: ExperimentResult) {
  const domain = result.summary.map((s) => s.label);
  return { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) };
}

/** Legend swatches as short lines of the series colour at full opacity (the lines, not the bands). */
export const LINE_LEGEND = {
  symbolType: "stroke",
  symbolStrokeWidth: 3,
  symbolOpacity: 1,
  symbolFillColor: "transparent",
};

/** Mean test loss per arm against steps, with the min–max band over seeds. */
export function experimentCurvesSpec(result: ExperimentResult): TopLevelSpec {
  const values: Record<string, string | number>[] = [];
  for (const s of result.summary)
    for (const p of s.curve)
      if (typeof p.loss === "number")
        values.push({
          arm: s.label,
          step: p.step,
          examples: p.examples,
          loss: p.loss,
          lo: p.min ?? p.loss,
          hi: p.max ?? p.loss,
          std: p.std ?? 0,
          n: p.n,
        });
  const color = { field: "arm", type: "nominal" as const, title: "arm", scale: colors(result) };
  const x = { field: "step", type: "quantitative" as const, title: "optimizer step", scale: { zero: true } };
  return {
    $schema: SCHEMA,
    title: `Test loss on unseen tasks, mean over ${result.seeds.length} seed${result.seeds.length === 1 ? "" : "s"} (band: min–max)`,
    data: { values },
    width: 560,
    height: 320,
    layer: [
      {
        mark: { type: "area", opacity: 0.18 },
        encoding: {
          x,
          y: {
            field: "lo",
            type: "quantitative",
            title: "test loss (lower = better)",
            scale: { zero: false },
          },
          y2: { field: "hi" },
          // Swatches drawn as lines at full opacity: the lines' colours, not the pale bands'.
          color: { ...color, legend: LINE_LEGEND },
        },
      },
      {
        mark: { type: "line", point: true, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: "loss", type: "quantitative" },
          color: { ...color, legend: LINE_LEGEND },
          tooltip: [
            { field: "arm", type: "nominal" },
            { field: "step", type: "quantitative" },
            { field: "examples", type: "quantitative", title: "examples seen" },
            { field: "loss", type: "quantitative", title: "mean loss", format: ".4f" },
            { field: "std", type: "quantitative", title: "std", format: ".4f" },
            { field: "lo", type: "quantitative", title: "min", format: ".4f" },
            { field: "hi", type: "quantitative", title: "max", format: ".4f" },
            { field: "n", type: "quantitative", title: "seeds" },
          ],
        },
      },
    ],
    config: CONFIG,
  };
}

/** Each run's area (mean test loss over the window) per arm, with the mean ± std over seeds. */
export function experimentAreasSpec(result: ExperimentResult): TopLevelSpec {
  const runs = result.runs
    .filter((r) => r.area !== null)
    .map((r) => ({ arm: r.arm, seed: String(r.seed), area: r.area as number }));
  const means = result.summary
    .filter((s) => s.area !== null)
    .map((s) => ({
      arm: s.label,
      mean: s.area!.mean,
      lo: s.area!.mean - s.area!.std,
      hi: s.area!.mean + s.area!.std,
    }));
  const order = result.summary.map((s) => s.label);
  const y = { field: "arm", type: "nominal" as const, title: null, sort: order };
  const color = { field: "arm", type: "nominal" as const, scale: colors(result), legend: null };
  return {
    $schema: SCHEMA,
    title: "Area under the early test-loss curve (mean loss over the window) per run; bar: mean ± std",
    width: 560,
    height: { step: 34 },
    layer: [
      {
        data: { values: means },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          y,
          x: {
            field: "lo",
            type: "quantitative",
            title: "mean test loss over the window",
            scale: { zero: false },
          },
          x2: { field: "hi" },
          color,
        },
      },
      {
        data: { values: means },
        mark: { type: "tick", thickness: 3, size: 22 },
        encoding: {
          y,
          x: { field: "mean", type: "quantitative" },
          color,
          tooltip: [
            { field: "arm", type: "nominal" },
            { field: "mean", type: "quantitative", format: ".4f" },
          ],
        },
      },
      {
        data: { values: runs },
        mark: { type: "point", filled: true, size: 60, opacity: 0.8 },
        encoding: {
          y,
          x: { field: "area", type: "quantitative" },
          color,
          shape: { field: "seed", type: "nominal", title: "seed" },
          tooltip: [
            { field: "arm", type: "nominal" },
            { field: "seed", type: "nominal" },
            { field: "area", type: "quantitative", format: ".4f" },
          ],
        },
      },
    ],
    config: CONFIG,
  };
}

/** Similarity panels drawn under the test loss: measure, which curve, panel title. */
export const EXPERIMENT_SIMILARITY = [
  ["cos-avg", "prefix", "cos-avg of all rows seen so far"],
  ["cos-avg", "window", "cos-avg of the rows of the last interval"],
  ["kl-bigram", "prefix", "kl-bigram of all rows seen so far"],
  ["wsd", "prefix", "mean WSD of all rows seen so far"],
] as const;

/**
 * Test loss (mean over seeds) and the similarity of the data each step has seen (mean over the arm's
 * analyses, one per arranged file), one panel each on one shared step axis, colour = arm. Undefined
 * without analyses.
 */
export function experimentSimilaritySpec(
  result: ExperimentResult,
  analyses: ReadonlyMap<string, Analysis>,
): TopLevelSpec | undefined {
  const values: Record<string, string | number>[] = [];
  const panels = ["test loss (mean over seeds)", ...EXPERIMENT_SIMILARITY.map((p) => p[2])];
  for (const s of result.summary)
    for (const p of s.curve)
      if (typeof p.loss === "number")
        values.push({ arm: s.label, panel: panels[0]!, step: p.step, value: p.loss });
  let any = false;
  for (const s of result.summary) {
    const files = [
      ...new Set(
        result.runs.filter((r) => r.arm === s.label && r.analysis !== undefined).map((r) => r.analysis!),
      ),
    ];
    const mine = files.map((f) => analyses.get(f)).filter((a): a is Analysis => a !== undefined);
    if (mine.length === 0) continue;
    any = true;
    for (const [measure, which, panel] of EXPERIMENT_SIMILARITY) {
      const byStep = new Map<number, number[]>();
      for (const a of mine) {
        const curve =
          measure === "wsd"
            ? which === "prefix"
              ? a.curves.wsd
              : a.curves.window?.wsd
            : which === "prefix"
              ? a.curves.overall[measure]
              : a.curves.window?.overall[measure];
        if (!curve) continue;
        a.checkpoints.steps.forEach((step, i) => {
          const v = curve[i];
          if (typeof v === "number" && Number.isFinite(v)) byStep.set(step, [...(byStep.get(step) ?? []), v]);
        });
      }
      for (const [step, vs] of [...byStep.entries()].sort((x, y) => x[0] - y[0]))
        values.push({
          arm: s.label,
          panel,
          step,
          value: Number((vs.reduce((t, v) => t + v, 0) / vs.length).toPrecision(6)),
          analyses: vs.length,
        });
    }
  }
  if (!any) return undefined;
  const steps = values.map((v) => v.step as number);
  const x = {
    field: "step",
    type: "quantitative" as const,
    title: "optimizer step",
    scale: { domain: [Math.min(...steps), Math.max(...steps)], nice: false },
  };
  const color = {
    field: "arm",
    type: "nominal" as const,
    title: "arm",
    scale: colors(result),
    legend: {
      orient: "bottom" as const,
      direction: "horizontal" as const,
      symbolType: "stroke",
      symbolStrokeWidth: 3,
    },
  };
  return {
    $schema: SCHEMA,
    title: "Test loss and the similarity of the data seen by each step, on one step axis",
    data: { values },
    columns: 1,
    concat: panels.map((panel, i) => ({
      title: { text: panel, fontSize: 12 },
      width: 560,
      height: i === 0 ? 160 : 90,
      mark: { type: "line" as const, point: true, strokeWidth: 2 },
      transform: [{ filter: { field: "panel", equal: panel } }],
      encoding: {
        x,
        y: {
          field: "value",
          type: "quantitative" as const,
          title: i === 0 ? "lower = better" : "lower = more similar",
          scale: { zero: false },
        },
        color,
        tooltip: [
          { field: "arm", type: "nominal" as const },
          { field: "step", type: "quantitative" as const },
          { field: "value", type: "quantitative" as const, format: ".5g" },
        ],
      },
    })),
    resolve: { scale: { x: "shared", y: "independent", color: "shared" } },
    config: CONFIG,
  } as TopLevelSpec;
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

export function experimentCharts(
  result: ExperimentResult,
  analyses: ReadonlyMap<string, Analysis> = new Map(),
): ReportChart[] {
  const window = result.aucSteps === null ? "every evaluated step" : `steps 0–${result.aucSteps}`;
  const similarity = experimentSimilaritySpec(result, analyses);
  return [
    {
      name: "experiment-curves",
      title: "Test loss against steps",
      caption: `Per arm, the test loss on the unseen tasks averaged over the seeds (line) and its range over the seeds (band), at every evaluated step.`,
      spec: experimentCurvesSpec(result),
    },
    {
      name: "experiment-areas",
      title: "Area under the early curve",
      caption: `Per arm and seed, the trapezoid area under the test-loss curve over ${window} divided by its steps (the curve's mean; lower = the unseen tasks were learned sooner); the bar spans mean ± one standard deviation over seeds.`,
      spec: experimentAreasSpec(result),
    },
    ...(similarity
      ? [
          {
            name: "experiment-similarity",
            title: "Test loss against the similarity of the data seen",
            caption:
              "Per arm, the test loss (mean over seeds, top) and, on the same step axis, how similar the training data seen by each step is to the test set " +
              "(mean over the arm's arranged files; lower = more similar): cos-avg of the whole prefix and of the last interval alone, the prefix's bigram KL and mean WSD. " +
              "If similarity drove the loss, the arms would be ordered alike in every panel.",
            spec: similarity,
          },
        ]
      : []),
  ];
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
