import type { TopLevelSpec } from "vega-lite";
import type { OnlyIfResult, OnlyIfSummary } from "../../experiment/onlyif.js";
import type { ReportChart } from "../types.js";

/** The two charts of `experiment onlyif-threshold` (OUT/<chart>.vl.json); its page is pages/onlyif.ts. */

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
