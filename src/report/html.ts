import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Spec as VegaSpec } from "vega";
import { ArrangeError } from "../core/errors.js";
import { VERSION } from "../version.js";
import type { ReportChart } from "./types.js";

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** JSON safe inside a `<script>` element: no `<`, `>` or `&` (written as \u escapes), no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export interface VegaBundle {
  version: string;
  vegaLiteVersion: string;
  /** The browser build (UMD, defines `vega`) of the installed vega package. */
  source: string;
}

let cachedBundle: VegaBundle | undefined;

/** The installed vega package's browser build, read at run time so that the page works offline. */
export function vegaBundle(): VegaBundle {
  if (cachedBundle) return cachedBundle;
  const require = createRequire(import.meta.url);
  let build: string;
  let vlRoot: string;
  try {
    // The packages export only their entry points: find their folders through them.
    build = dirname(require.resolve("vega"));
    vlRoot = dirname(dirname(require.resolve("vega-lite")));
  } catch (cause) {
    throw new ArrangeError("internal", `cannot find the vega packages: ${(cause as Error).message}`, {
      fix: "reinstall instruct-arrange's dependencies (npm install)",
      cause,
    });
  }
  const path = join(build, "vega.min.js");
  let source: string;
  let version: string;
  let vegaLiteVersion: string;
  try {
    source = readFileSync(path, "utf8");
    version = JSON.parse(readFileSync(join(build, "..", "package.json"), "utf8")).version;
    vegaLiteVersion = JSON.parse(readFileSync(join(vlRoot, "package.json"), "utf8")).version;
  } catch (cause) {
    throw new ArrangeError("internal", `cannot read vega's browser build: ${(cause as Error).message}`, {
      file: path,
      fix: "reinstall instruct-arrange's dependencies (npm install)",
      cause,
    });
  }
  if (/<\/script|<!--/i.test(source))
    throw new ArrangeError("internal", "vega's browser build contains text that would end an inline script", {
      file: path,
      fix: "please report this with the vega version installed",
    });
  cachedBundle = { version, vegaLiteVersion, source };
  return cachedBundle;
}

export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#222;background:#fff}
header,main{max-width:1280px;margin:0 auto;padding:0 20px}
header{border-bottom:1px solid #ddd;padding-bottom:8px}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #eee}
h3{font-size:15px;margin:18px 0 6px}
nav a{margin-right:12px}
.meta{color:#666;font-size:12px}
figure.chart{margin:12px 0 24px;overflow-x:auto}
figure.chart figcaption{color:#444;margin-bottom:6px;max-width:900px}
.note{color:#444;background:#fffbe6;border:1px solid #f0e0a0;padding:4px 8px;max-width:900px}
figure.chart .view{max-width:100%}
.chart-error{color:#b00020;font-weight:bold}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f6f6f6}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{max-width:420px;overflow-wrap:anywhere}
td.emb{max-width:240px;overflow-wrap:anywhere}
.wide{overflow-x:auto}
ol.nn{margin:0;padding-left:18px}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:8px;overflow:auto;max-height:480px;font-size:12px}
.flag{color:#b00020;font-weight:bold}
`;

/** Draws every chart with the inlined vega; marks each figure `data-rendered="true"` or `"error"`. */
export const BOOT = `
(function () {
  var specs = JSON.parse(document.getElementById("ia-specs").textContent);
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure[data-chart]"));
  Promise.all(figures.map(function (fig) {
    var name = fig.getAttribute("data-chart");
    var box = fig.querySelector(".view");
    try {
      var view = new vega.View(vega.parse(specs[name]), { renderer: "svg", container: box, hover: true });
      return view.runAsync().then(function () {
        fig.setAttribute("data-rendered", "true");
      }, function (e) { fail(fig, name, e); });
    } catch (e) { fail(fig, name, e); return Promise.resolve(); }
  })).then(function () { document.body.setAttribute("data-charts-done", "true"); });
  function fail(fig, name, e) {
    fig.setAttribute("data-rendered", "error");
    var p = document.createElement("p");
    p.className = "chart-error";
    p.textContent = "This chart could not be drawn: " + (e && e.message ? e.message : String(e));
    fig.appendChild(p);
    console.error("chart " + name + ": " + (e && e.stack ? e.stack : e));
  }
})();
`;

export function figure(chart: ReportChart): string {
  return (
    `<figure class="chart" id="chart-${chart.name}" data-chart="${escapeHtml(chart.name)}">` +
    `<h3>${escapeHtml(chart.title)}</h3><figcaption>${escapeHtml(chart.caption)}</figcaption>` +
    `<div class="view" role="img" aria-label="${escapeHtml(`${chart.title}: ${chart.caption}`)}"></div>` +
    "<noscript>The charts need JavaScript (inlined in this file; nothing is downloaded).</noscript></figure>"
  );
}

/**
 * A page of the same look as the report (styles, inline vega, the same chart boot script) around other
 * content: `body` is trusted HTML built with escapeHtml; `charts` are drawn into its `figure(chart)`s.
 */
export function pageHtml(options: {
  title: string;
  /** Trusted HTML of the line under the title. */
  meta: string;
  nav: [string, string][];
  body: string;
  charts: { chart: ReportChart; vega: VegaSpec }[];
}): string {
  const bundle = vegaBundle();
  const specs: Record<string, VegaSpec> = {};
  for (const { chart, vega } of options.charts) specs[chart.name] = vega;
  const csp =
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:";
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="instruct-arrange ${escapeHtml(VERSION)}">`,
    `<title>${escapeHtml(options.title)}</title><style>${CSS}</style></head>`,
    "<body><header>",
    `<h1>${escapeHtml(options.title)}</h1>`,
    `<p class="meta">${options.meta} Made by instruct-arrange ${escapeHtml(VERSION)} with Vega ${escapeHtml(bundle.version)} and Vega-Lite ${escapeHtml(bundle.vegaLiteVersion)}; everything is inside this file.</p>`,
    `<nav>${options.nav.map(([id, text]) => `<a href="#${escapeHtml(id)}">${escapeHtml(text)}</a>`).join("")}</nav></header><main>`,
    options.body,
    "</main>",
    `<script type="application/json" id="ia-specs">${jsonForScript(specs)}</script>`,
    `<script>${bundle.source}</script>`,
    `<script>${BOOT}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}
