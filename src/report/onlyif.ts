import type { Spec as VegaSpec } from "vega";
import type { TopLevelSpec } from "vega-lite";
import type { MeanStd, OnlyIfResult, OnlyIfSummary } from "../experiment/onlyif.js";
import { escapeHtml, figure, pageHtml } from "./html.js";
import type { ReportChart } from "./types.js";

/** The charts and the page of `experiment onlyif-threshold` (OUT/report.html, OUT/<chart>.vl.json). */

type SweepPoint = { rules: number; series: string; value: number; std?: number; seed?: number };

/** Vega-Lite layers over I (log x): the means as lines and single runs as dots, one colour per series. */
function sweepChart(
  rulesAxis: number[],
  means: SweepPoint[],
  runs: SweepPoint[],
  series: string[],
  y: { title: string; domain?: [number, number] },
  title: string,
): TopLevelSpec {
  const domain = series.filter((l) => means.some((m) => m.series === l));
  const x = {
    field: "rules",
    type: "quantitative" as const,
    title: "distinct training rules I (log scale)",
    scale: { type: "log" as const, base: 2 },
    axis: { values: rulesAxis },
  };
  const yEnc = {
    field: "value",
    type: "quantitative" as const,
    title: y.title,
    ...(y.domain === undefined ? {} : { scale: { domain: y.domain } }),
  };
  const color = {
    field: "series",
    type: "nominal" as const,
    title: null,
    scale: { domain },
    legend: { labelLimit: 300 },
  };
  const tip = (extra: object[]) => [
    { field: "series", type: "nominal" },
    { field: "rules", type: "quantitative", title: "I" },
    ...extra,
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 560,
    height: 320,
    layer: [
      {
        data: { values: means },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: yEnc,
          color,
          tooltip: tip([
            { field: "value", type: "quantitative", format: ".3f", title: "mean" },
            { field: "std", type: "quantitative", format: ".3f" },
          ]),
        },
      },
      {
        data: { values: runs },
        mark: { type: "point", shape: "circle", size: 20, opacity: 0.5, filled: true },
        encoding: {
          x,
          y: yEnc,
          color,
          tooltip: tip([
            { field: "seed", type: "quantitative" },
            { field: "value", type: "quantitative", format: ".3f" },
          ]),
        },
      },
    ],
  } as TopLevelSpec;
}

const rulesAxis = (summary: readonly OnlyIfSummary[]) => [...new Set(summary.map((s) => s.rules))];

/** Vega-Lite chart: exact-match accuracy against I (log x), per-seed points and the mean over seeds as lines. */
export function onlyIfSpec(result: Pick<OnlyIfResult, "runs" | "summary" | "budget">): TopLevelSpec {
  const metrics = [
    ["unseen", "unseen rules (all)"],
    ["unseenApply", "unseen rules, rewrites only"],
    ["seen", "seen rules, fresh strings"],
  ] as const;
  const means = result.summary.flatMap((s) =>
    metrics
      .filter(([m]) => s[m] !== null)
      .map(([m, label]) => ({ rules: s.rules, series: label, value: s[m]!.mean, std: s[m]!.std })),
  );
  const runs = result.runs.flatMap((r) =>
    metrics
      .filter(([m]) => r.final[m].accuracy !== null)
      .map(([m, label]) => ({ rules: r.rules, seed: r.seed, series: label, value: r.final[m].accuracy! })),
  );
  return sweepChart(
    rulesAxis(result.summary),
    means,
    runs,
    metrics.map(([, l]) => l),
    { title: "exact-match accuracy", domain: [0, 1] },
    `Greedy exact match against the number of training rules, budget ${result.budget}`,
  );
}

/** Vega-Lite chart: final test loss on unseen and seen rules, and their gap, against I (log x). */
export function onlyIfLossSpec(result: Pick<OnlyIfResult, "runs" | "summary" | "budget">): TopLevelSpec {
  const metrics = [
    ["unseen", "test loss, unseen rules"],
    ["seen", "test loss, seen rules"],
    ["gap", "gap (unseen − seen)"],
  ] as const;
  const means = result.summary.flatMap((s) =>
    metrics
      .filter(([m]) => s.loss[m] !== null)
      .map(([m, label]) => ({ rules: s.rules, series: label, value: s.loss[m]!.mean, std: s.loss[m]!.std })),
  );
  const runs = result.runs.flatMap((r) =>
    metrics
      .filter(([m]) => r.loss !== null && r.loss[m] !== null)
      .map(([m, label]) => ({ rules: r.rules, seed: r.seed, series: label, value: r.loss![m]! })),
  );
  return sweepChart(
    rulesAxis(result.summary),
    means,
    runs,
    metrics.map(([, l]) => l),
    { title: "answer-token cross-entropy (nats per byte)" },
    `Test loss at the last evaluation against the number of training rules, budget ${result.budget}`,
  );
}

function lossCell(m: MeanStd): string {
  if (m === null) return '<td class="num">–</td>';
  return `<td class="num">${m.mean.toFixed(3)}${m.std > 0 ? ` ± ${m.std.toFixed(3)}` : ""}</td>`;
}

function pctCell(m: MeanStd): string {
  if (m === null) return '<td class="num">–</td>';
  return `<td class="num">${(100 * m.mean).toFixed(1)}%${m.std > 0 ? ` ± ${(100 * m.std).toFixed(1)}` : ""}</td>`;
}

/** The two charts of the sweep, as the report's pages draw them. */
export function onlyIfCharts(result: OnlyIfResult): ReportChart[] {
  const seeds = `Lines: mean over seeds ${result.seeds.join(", ")}; dots: single runs.`;
  return [
    {
      name: "accuracy",
      title: "Only-IF threshold: unseen-rule accuracy against the number of training rules",
      caption: `Exact match of greedy answers after training on ${result.budget} examples of I distinct rules. ${seeds}`,
      spec: onlyIfSpec(result),
    },
    {
      name: "loss",
      title: "Test loss on unseen and seen rules against the number of training rules",
      caption:
        "Answer-token cross-entropy per example (nats per byte) at the last evaluation; the gap is unseen minus seen. " +
        seeds,
      spec: onlyIfLossSpec(result),
    },
  ];
}

/** The self-contained report page (vega inlined, no network), in the look of `report`'s pages. */
export function onlyIfHtml(result: OnlyIfResult, charts: { chart: ReportChart; vega: VegaSpec }[]): string {
  const rows = result.summary
    .map(
      (s) =>
        `<tr><td class="num">${s.rules}</td><td class="num">${s.runs}</td>${pctCell(s.unseen)}${pctCell(s.unseenApply)}${pctCell(s.unseenNoop)}${pctCell(s.seen)}` +
        `${lossCell(s.loss.unseen)}${lossCell(s.loss.seen)}${lossCell(s.loss.gap)}</tr>`,
    )
    .join("");
  const body = [
    `<section id="charts"><h2>Charts</h2>${charts.map((c) => figure(c.chart)).join("")}</section>`,
    `<section id="threshold"><h2>Threshold</h2><ul>${result.threshold.map((t) => `<li>${escapeHtml(t.description)}</li>`).join("")}</ul></section>`,
    '<section id="table"><h2>Accuracy and test loss per I</h2><table><thead><tr><th>I</th><th>runs</th><th>unseen (all)</th><th>unseen rewrites</th>' +
      `<th>unseen no-ops</th><th>seen rules</th><th>test loss, unseen</th><th>test loss, seen</th><th>loss gap (unseen − seen)</th></tr></thead><tbody>${rows}</tbody></table>` +
      "<p>Accuracy: exact match of greedy answers at the last step. Test loss: answer-token cross-entropy per example (nats per byte) at the last evaluation; the gap shows how much worse unseen rules are predicted than training rules, and it moves before whole answers come out right.</p></section>",
    `<section id="settings"><h2>Settings</h2><pre>${escapeHtml(JSON.stringify({ budget: result.budget, seeds: result.seeds, instruction: result.instruction, seenTest: result.seenTest, synth: result.synth, train: result.train }, null, 2))}</pre></section>`,
  ].join("\n");
  return pageHtml({
    title: "Only-IF threshold: unseen-rule accuracy against the number of training rules",
    meta: "Task and question: Zhang, Wang &amp; Charton, arXiv 2410.04717.",
    nav: [
      ["charts", "Charts"],
      ["threshold", "Threshold"],
      ["table", "Per I"],
      ["settings", "Settings"],
    ],
    body,
    charts,
  });
}
