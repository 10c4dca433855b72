import type { TopLevelSpec } from "vega-lite";
import type { ReportChart } from "../types.js";
import { CONFIG, PALETTE, SCHEMA } from "./theme.js";

/**
 * What the charts of `predict` read of its result (`PredictResult` in src/predict/predict.ts, which
 * imports this folder, so the type is stated here by shape rather than imported).
 */
export interface PredictedData {
  models: readonly { name: string }[];
  points: readonly { experiment: string; arm: string; seed: number; step: number; loss: number }[];
  heldOutArmPredictions: Record<string, number[]>;
  heldOutSeedPredictions: Record<string, number[]>;
}

/** Held-out-arm predictions of both models against the measured loss, one panel per model. */
export function predictedSpec(result: PredictedData, which: "arm" | "seed"): TopLevelSpec {
  const preds = which === "arm" ? result.heldOutArmPredictions : result.heldOutSeedPredictions;
  const values: Record<string, string | number>[] = [];
  // The two models stated before looking: the step alone, and the step with all ten measures.
  for (const m of result.models.slice(0, 2))
    result.points.forEach((p, i) => {
      values.push({
        model: m.name,
        experiment: p.experiment,
        arm: `${p.experiment} ${p.arm}`,
        seed: p.seed,
        step: p.step,
        measured: p.loss,
        predicted: preds[m.name]![i]!,
      });
    });
  const arms = [...new Set(values.map((v) => v.arm as string))];
  const all = values.flatMap((v) => [v.measured as number, v.predicted as number]);
  const domain = [Math.min(...all), Math.max(...all)];
  return {
    $schema: SCHEMA,
    title: `Predicted against measured test loss, each ${which === "arm" ? "arm" : "seed"} held out in turn`,
    data: { values },
    facet: {
      column: { field: "model", type: "nominal", title: null, sort: result.models.map((m) => m.name) },
    },
    spec: {
      width: 300,
      height: 300,
      layer: [
        {
          data: {
            values: [
              { a: domain[0], b: domain[0] },
              { a: domain[1], b: domain[1] },
            ],
          },
          mark: { type: "line", color: "#999", strokeDash: [4, 3] },
          encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
        },
        {
          mark: { type: "point", filled: true, size: 30, opacity: 0.75 },
          encoding: {
            x: {
              field: "measured",
              type: "quantitative",
              title: "measured test loss",
              scale: { domain, zero: false },
            },
            y: {
              field: "predicted",
              type: "quantitative",
              title: "predicted test loss",
              scale: { domain, zero: false },
            },
            color: {
              field: "arm",
              type: "nominal",
              title: "experiment, arm",
              scale: { domain: arms, range: arms.map((_, i) => PALETTE[i % PALETTE.length]!) },
              legend: { orient: "bottom", columns: 3 },
            },
            tooltip: [
              { field: "arm", type: "nominal" },
              { field: "seed", type: "quantitative" },
              { field: "step", type: "quantitative" },
              { field: "measured", type: "quantitative", format: ".4f" },
              { field: "predicted", type: "quantitative", format: ".4f" },
            ],
          },
        },
      ],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

export function predictCharts(result: PredictedData): ReportChart[] {
  return [
    {
      name: "predict-arm",
      title: "Held-out arm",
      caption:
        "Each (experiment, arm) predicted by models fitted on the other arms: from the step alone, and with the similarity measures. Points on the dashed diagonal are predicted exactly.",
      spec: predictedSpec(result, "arm"),
    },
    {
      name: "predict-seed",
      title: "Held-out seed",
      caption: "Each seed predicted by models fitted on the other seeds (every arm seen in training).",
      spec: predictedSpec(result, "seed"),
    },
  ];
}
