import type { TopLevelSpec } from "vega-lite";
import type { ExperimentResult } from "../../experiment/result.js";
import { armColors, CONFIG, SCHEMA } from "./theme.js";

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
  const color = { field: "arm", type: "nominal" as const, title: "arm", scale: armColors(result) };
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
