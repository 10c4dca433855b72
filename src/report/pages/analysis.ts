import type { Spec as VegaSpec } from "vega";
import type { CoverageRow } from "../../analyze/types.js";
import { VERSION } from "../../version.js";
import { trainingSets } from "../charts/training-sets.js";
import { BOOT, CSS, escapeHtml, figure, jsonForScript, vegaBundle } from "../html.js";
import type { ReportArrangement, ReportChart, ReportData, ReportDiversity } from "../types.js";

/** The analysis report page of `report` (tables, charts, contamination, diversity, manifests); report.ts writes it. */

const fmt = (x: number | undefined, digits = 4) =>
  typeof x === "number" && Number.isFinite(x) ? x.toPrecision(digits) : "–";
const num = (x: number | string) => `<td class="num">${escapeHtml(String(x))}</td>`;
const cell = (text: string) => `<td>${escapeHtml(text)}</td>`;

function arrangementsTable(data: ReportData): string {
  const rows = data.arrangements.map(({ label, path, analysis: a }) => {
    const c = a.checkpoints;
    const warnings = a.warnings ?? [];
    return (
      "<tr>" +
      cell(label) +
      cell(path) +
      `<td>${escapeHtml(a.inputs.train.path)}<br>${a.inputs.train.rows} rows${a.inputs.metadata ? `, metadata ${escapeHtml(a.inputs.metadata.path)}` : ""}</td>` +
      `<td>${escapeHtml(a.inputs.test.path)}<br>${a.inputs.test.rows} rows, ${a.inputs.test.tasks.length} tasks</td>` +
      cell(`${a.embedder.id}${a.embedder.version ? ` ${a.embedder.version}` : ""}, ${a.embedder.dims}-d`) +
      cell(
        `every ${c.every} examples (${c.batchSize} × ${c.saveSteps} steps); ${c.steps.length} checkpoints`,
      ) +
      num(a.tma ? a.tma.rounds.length : "–") +
      num(`${a.coverage.flagged} / ${a.coverage.rows.length}`) +
      cell(warnings.join("; ")) +
      "</tr>"
    );
  });
  return (
    "<table><thead><tr><th>arrangement</th><th>analysis file</th><th>training set</th><th>test set</th>" +
    "<th>embedder</th><th>checkpoints</th><th>TMA rounds</th><th>flagged test rows</th><th>warnings</th></tr></thead>" +
    `<tbody>${rows.join("")}</tbody></table>`
  );
}

function runsTable(data: ReportData): string {
  if (data.runs.length === 0) return "";
  const rows = data.runs.map(({ label, path, curves }) => {
    const last = curves.points[curves.points.length - 1];
    return (
      "<tr>" +
      cell(label) +
      cell(path) +
      num(curves.batchSize) +
      num(curves.evalEvery ?? "–") +
      num(curves.points.length) +
      num(last ? last.step : "–") +
      num(fmt(last?.test?.loss)) +
      "</tr>"
    );
  });
  return (
    "<h3>Training runs</h3><table><thead><tr><th>run</th><th>curves file</th><th>examples / step</th>" +
    "<th>evaluated every (steps)</th><th>evaluations</th><th>last step</th><th>last test loss</th></tr></thead>" +
    `<tbody>${rows.join("")}</tbody></table>`
  );
}

function neighbours(row: CoverageRow): string {
  const items = row.nearest.map(
    (n) =>
      `<li>row ${n.train}${n.task !== undefined ? `, task <b>${escapeHtml(n.task)}</b>` : ""}, similarity ${fmt(n.similarity)}${n.snippet !== undefined ? `: ${escapeHtml(n.snippet)}` : ""}</li>`,
  );
  return `<ol class="nn">${items.join("")}</ol>`;
}

/** Flagged rows (nearest first), or, with none flagged, the closest rows that carry snippets. */
export function contaminationRows(
  a: ReportArrangement,
  limit: number,
): { rows: CoverageRow[]; flagged: boolean } {
  const best = (r: CoverageRow) => r.nearest[0]?.similarity ?? Number.NEGATIVE_INFINITY;
  const order = (x: CoverageRow, y: CoverageRow) => best(y) - best(x) || x.test - y.test;
  const flagged = a.analysis.coverage.rows.filter((r) => r.flagged).sort(order);
  if (flagged.length > 0) return { rows: flagged.slice(0, limit), flagged: true };
  const closest = a.analysis.coverage.rows.filter((r) => r.snippet !== undefined).sort(order);
  return { rows: closest.slice(0, limit), flagged: false };
}

/**
 * The contamination table, once per training set (arrangements of one set share their nearest
 * neighbours; only the neighbours' positions differ, shown in the first arrangement's order).
 */
function contaminationSection(data: ReportData, limit: number): string {
  const parts: string[] = [];
  const embedders = [...new Set(data.arrangements.map((a) => a.analysis.embedder.id))];
  parts.push(
    `<p class="note">Similarities are those of the embedder (${escapeHtml(embedders.join(", "))}): the contamination threshold ` +
      "means something only on that embedder's scale. An ngram (hashed bag of words) similarity is not on MiniLM's scale, so " +
      "a threshold chosen for one does not carry over to the other; check flagged rows by their text.</p>",
  );
  const sets = trainingSets(data.arrangements);
  for (const s of sets) {
    const a = s.members[0]!;
    const c = a.analysis.coverage;
    const { rows, flagged } = contaminationRows(a, limit);
    parts.push(`<h3>${escapeHtml(s.label)}</h3>`);
    const total = c.flagged;
    parts.push(
      `<p>${total} of ${c.rows.length} test rows have a training row with cosine similarity ≥ ${escapeHtml(String(c.threshold))} ` +
        `(likely contamination).${flagged && total > rows.length ? ` The ${rows.length} most similar are shown.` : ""}` +
        `${!flagged && rows.length > 0 ? ` None are flagged; the ${rows.length} test rows closest to the training set are shown instead.` : ""}` +
        `${s.members.length > 1 ? ` Training positions are those of ${escapeHtml(a.label)}.` : ""}</p>`,
    );
    if (rows.length === 0) continue;
    const noText = rows.some((r) => r.snippet === undefined);
    if (noText)
      parts.push(
        "<p>This analysis holds no text snippets (written with --snippet-chars 0 or by an older version): rerun analyze to see the texts.</p>",
      );
    if (rows.some((r) => r.nearest.some((n) => n.task === undefined)))
      parts.push(
        "<p>This analysis does not name the neighbours' training tasks (written by an older version).</p>",
      );
    const body = rows.map(
      (r) =>
        "<tr>" +
        num(r.test) +
        cell(r.task) +
        `<td class="num${r.flagged ? " flag" : ""}">${fmt(r.nearest[0]?.similarity)}</td>` +
        cell(r.nearest[0]?.task ?? "–") +
        `<td class="text">${escapeHtml(r.snippet ?? "")}</td>` +
        `<td class="text">${neighbours(r)}</td>` +
        "</tr>",
    );
    parts.push(
      '<div class="wide"><table><thead><tr><th>test row</th><th>test task</th><th>max similarity</th><th>nearest row\'s training task</th><th>test text</th>' +
        `<th>nearest training rows (position in the training order)</th></tr></thead><tbody>${body.join("")}</tbody></table></div>`,
    );
  }
  return parts.join("");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function diversitySummaryTable(diversity: ReportDiversity[]): string {
  const rows = diversity.map(({ label, path, report: d }) => {
    const o = d.overall;
    const c = o.clusters;
    const e = d.embedder;
    return (
      "<tr>" +
      cell(label) +
      cell(path) +
      `<td>${escapeHtml(d.input.path)}<br>${d.input.rows} rows, ${plural(d.input.tasks, "task")}</td>` +
      `<td class="emb">${escapeHtml(`${e.id}, ${e.dims}-d`)}${"version" in e && e.version ? `<br><small>${escapeHtml(e.version)}</small>` : ""}</td>` +
      num(`${c.used} / ${c.k}`) +
      num(fmt(c.effective)) +
      num(fmt(c.entropy)) +
      num(fmt(c.normalizedEntropy)) +
      num(o.meanPairwiseCosineDistance === null ? "–" : fmt(o.meanPairwiseCosineDistance)) +
      num(fmt(o.vendi)) +
      num(o.zeroRows) +
      cell((d.warnings ?? []).join("; ")) +
      "</tr>"
    );
  });
  return (
    '<div class="wide"><table><thead><tr><th>dataset</th><th>diversity file</th><th>input</th><th>embedder</th>' +
    "<th>clusters used / k</th><th>effective clusters</th><th>cluster entropy (nats)</th><th>normalized entropy</th>" +
    "<th>mean pairwise cosine distance</th><th>Vendi score</th><th>zero rows</th><th>warnings</th></tr></thead>" +
    `<tbody>${rows.join("")}</tbody></table></div>`
  );
}

function diversityTaskTables(diversity: ReportDiversity[]): string {
  return diversity
    .map(({ label, report: d }) => {
      const tasks = Object.entries(d.perTask).sort(
        (x, y) => y[1].vendi - x[1].vendi || (x[0] < y[0] ? -1 : 1),
      );
      const body = tasks.map(
        ([task, t]) =>
          "<tr>" +
          cell(task) +
          num(t.rows) +
          num(t.clusters.used) +
          num(fmt(t.clusters.effective)) +
          num(fmt(t.clusters.normalizedEntropy)) +
          num(t.meanPairwiseCosineDistance === null ? "–" : fmt(t.meanPairwiseCosineDistance)) +
          num(fmt(t.vendi)) +
          "</tr>",
      );
      return (
        `<details><summary>${escapeHtml(label)}: ${plural(tasks.length, "task")}, by Vendi score</summary>` +
        "<table><thead><tr><th>task</th><th>rows</th><th>clusters used</th><th>effective clusters</th>" +
        "<th>normalized entropy</th><th>mean pairwise cosine distance</th><th>Vendi score</th></tr></thead>" +
        `<tbody>${body.join("")}</tbody></table></details>`
      );
    })
    .join("");
}

function manifestsSection(data: ReportData): string {
  if (data.manifests.length === 0)
    return "<p>No run manifest found: arrange writes <code>NAME.manifest.json</code> beside its output; pass others with --manifest.</p>";
  return data.manifests
    .map(
      (m) =>
        `<details><summary>${escapeHtml(m.title)} — ${escapeHtml(m.path)}</summary>` +
        `<pre>${escapeHtml(JSON.stringify(m.json, null, 2))}</pre></details>`,
    )
    .join("");
}

/** The whole report page: one HTML file with the data, the specs and vega inline (no network). */
export function reportHtml(
  data: ReportData,
  charts: { chart: ReportChart; vega: VegaSpec }[],
  options: { tableRows: number },
): string {
  const bundle = vegaBundle();
  const specs: Record<string, VegaSpec> = {};
  for (const { chart, vega } of charts) specs[chart.name] = vega;
  const hasRounds = charts.some((c) => c.chart.name === "rounds");
  const byName = new Map(charts.map((c) => [c.chart.name, c.chart]));
  const fig = (name: string) => {
    const chart = byName.get(name);
    return chart ? figure(chart) : "";
  };
  const hasAnalyses = data.arrangements.length > 0;
  const hasDiversity = data.diversity.length > 0;
  const sections: [string, string][] = hasAnalyses
    ? [
        ["arrangements", "Arrangements"],
        ["curves", "Curves"],
        ["mix", "Task mix"],
        ["distributions", "WSD and rounds"],
        ["projection", "Projection"],
        ["contamination", "Contamination"],
      ]
    : [];
  if (hasDiversity) sections.push(["diversity", "Diversity"]);
  if (hasAnalyses || data.manifests.length > 0) sections.push(["manifests", "Manifests"]);
  const nav = sections.map(([id, text]) => `<a href="#${id}">${text}</a>`).join("");
  const counts = [
    ...(hasAnalyses ? [plural(data.arrangements.length, "arrangement")] : []),
    ...(data.runs.length > 0 ? [plural(data.runs.length, "training run")] : []),
    ...(hasDiversity ? [plural(data.diversity.length, "diversity report")] : []),
  ];
  const csp =
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:";
  const analysisSections = hasAnalyses
    ? [
        `<section id="arrangements"><h2>Arrangements</h2>${arrangementsTable(data)}${runsTable(data)}</section>`,
        `<section id="curves"><h2>Curves</h2>${fig("curves")}${fig("window-curves")}${fig("task-curves")}</section>`,
        `<section id="mix"><h2>Task mix</h2>${
          byName.has("composition")
            ? `${fig("composition")}${fig("batch-tasks")}`
            : "<p>These analyses do not record their task mix (written by an older version): rerun analyze.</p>"
        }</section>`,
        `<section id="distributions"><h2>WSD and rounds</h2>${fig("wsd")}${
          hasRounds
            ? fig("rounds")
            : "<p>No TMA rounds: pass the arrange metadata to analyze (--metadata FILE) to see round sizes.</p>"
        }</section>`,
        `<section id="projection"><h2>Projection</h2>${fig("projection")}</section>`,
        `<section id="contamination"><h2>Contamination</h2>${fig("coverage")}${contaminationSection(data, options.tableRows)}</section>`,
      ]
    : [];
  const diversitySection = hasDiversity
    ? [
        `<section id="diversity"><h2>Diversity</h2>${diversitySummaryTable(data.diversity)}` +
          `${fig("diversity-overall")}${fig("diversity-tasks")}${fig("diversity-clusters")}` +
          `<h3>Per task</h3>${diversityTaskTables(data.diversity)}</section>`,
      ]
    : [];
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="instruct-arrange ${escapeHtml(VERSION)}">`,
    `<title>${escapeHtml(data.title)}</title><style>${CSS}</style></head>`,
    "<body><header>",
    `<h1>${escapeHtml(data.title)}</h1>`,
    `<p class="meta">${counts.join(", ")}. ` +
      `Made by instruct-arrange ${escapeHtml(VERSION)} with Vega ${escapeHtml(bundle.version)} and Vega-Lite ${escapeHtml(bundle.vegaLiteVersion)}; ` +
      `everything is inside this file (arXiv 2406.11721 for the measures${hasDiversity ? "; Friedman & Dieng 2023 for the Vendi score" : ""}).</p>`,
    `<nav>${nav}</nav></header><main>`,
    ...analysisSections,
    ...diversitySection,
    ...(hasAnalyses || data.manifests.length > 0
      ? [`<section id="manifests"><h2>Run manifests</h2>${manifestsSection(data)}</section>`]
      : []),
    "</main>",
    `<script type="application/json" id="ia-specs">${jsonForScript(specs)}</script>`,
    `<script>${bundle.source}</script>`,
    `<script>${BOOT}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}
