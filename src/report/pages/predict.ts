import type { Spec as VegaSpec } from "vega";
import { escapeHtml, figure, pageHtml } from "../html.js";
import type { ReportChart } from "../types.js";

interface Errors {
  rmse: number;
  r2: number;
}

/**
 * What the page of `predict` reads of its result (`PredictResult` in src/predict/predict.ts, which
 * imports this folder, so the type is stated here by shape rather than imported).
 */
export interface PredictPageData {
  experiments: readonly { name: string; arms: readonly string[]; seeds: readonly number[] }[];
  lambda: number;
  points: readonly unknown[];
  models: readonly {
    name: string;
    description: string;
    fit: Errors & { coefficients: Record<string, number> };
    heldOutArm: Errors;
    heldOutSeed: Errors;
  }[];
  finding: string;
}

/** The page of `predict --html`: the finding, the models' fit and held-out errors, the charts. */
export function predictHtml(
  result: PredictPageData,
  charts: { chart: ReportChart; vega: VegaSpec }[],
): string {
  const f = (x: number) => x.toFixed(4);
  const rows = result.models
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.name)}</td><td class="num">${f(m.fit.r2)}</td><td class="num">${f(m.fit.rmse)}</td>` +
        `<td class="num">${f(m.heldOutArm.rmse)}</td><td class="num">${f(m.heldOutArm.r2)}</td>` +
        `<td class="num">${f(m.heldOutSeed.rmse)}</td><td class="num">${f(m.heldOutSeed.r2)}</td></tr>`,
    )
    .join("");
  const sim = result.models[1]!;
  const coef = Object.entries(sim.fit.coefficients)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td class="num">${v.toFixed(4)}</td></tr>`)
    .join("");
  const byName = new Map(charts.map((c) => [c.chart.name, c.chart]));
  const body =
    `<section id="finding"><h2>Finding</h2><p>${escapeHtml(result.finding)}</p>` +
    `<p>${result.points.length} evaluated steps (step 0 left out: no data seen yet) of ${result.experiments.map((e) => `${escapeHtml(e.name)} (${e.arms.length} arms × ${e.seeds.length} seeds)`).join(", ")}; ridge penalty ${result.lambda} on standardized features.</p></section>` +
    `<section id="models"><h2>Models</h2><div class="wide"><table><thead><tr><th>model</th><th>fit R²</th><th>fit RMSE</th><th>held-out arm RMSE</th><th>held-out arm R²</th><th>held-out seed RMSE</th><th>held-out seed R²</th></tr></thead><tbody>${rows}</tbody></table></div>` +
    result.models.map((m) => `<p><b>${escapeHtml(m.name)}</b>: ${escapeHtml(m.description)}</p>`).join("") +
    `<h3>Coefficients of ${escapeHtml(sim.name)} (loss per standard deviation of each measure, fitted on every point)</h3><table><tbody>${coef}</tbody></table></section>` +
    `<section id="charts"><h2>Predicted against measured</h2>${[...byName.values()].map(figure).join("")}</section>`;
  return pageHtml({
    title: "Predicting test loss from similarity",
    meta: `${result.points.length} points.`,
    nav: [
      ["finding", "Finding"],
      ["models", "Models"],
      ["charts", "Charts"],
    ],
    body,
    charts,
  });
}
