import type { TopLevelSpec } from "vega-lite";
import type { Analysis } from "../../analyze/types.js";
import type { ExperimentResult } from "../../experiment/result.js";
import { armColors, CONFIG, SCHEMA } from "./theme.js";

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
    scale: armColors(result),
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
