import type { Spec as VegaSpec } from "vega";
import type { MeanStd, OnlyIfResult } from "../../experiment/onlyif.js";
import { escapeHtml, figure, pageHtml } from "../html.js";
import type { ReportChart } from "../types.js";

/** The page of `experiment onlyif-threshold` (OUT/report.html); its charts are charts/onlyif.ts. */

function lossCell(m: MeanStd): string {
  if (m === null) return '<td class="num">–</td>';
  return `<td class="num">${m.mean.toFixed(3)}${m.std > 0 ? ` ± ${m.std.toFixed(3)}` : ""}</td>`;
}

function pctCell(m: MeanStd): string {
  if (m === null) return '<td class="num">–</td>';
  return `<td class="num">${(100 * m.mean).toFixed(1)}%${m.std > 0 ? ` ± ${(100 * m.std).toFixed(1)}` : ""}</td>`;
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
