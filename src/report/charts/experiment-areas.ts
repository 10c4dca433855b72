import type { TopLevelSpec } from "vega-lite";
import type { ExperimentResult } from "../../experiment/result.js";
import { armColors, CONFIG, SCHEMA } from "./theme.js";

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
  const color = { field: "arm", type: "nominal" as const, scale: armColors(result), legend: null };
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
