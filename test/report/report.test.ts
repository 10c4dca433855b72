import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { beforeAll, describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { escapeHtml, jsonForScript } from "../../src/report/html.js";
import { FONT_CANDIDATES } from "../../src/report/render.js";
import { report } from "../../src/report/report.js";
import type { ReportOptions } from "../../src/report/types.js";
import { tempDir } from "../helpers/tmp.js";
import {
  type DiversityFixture,
  diversityFixture,
  type ReportFixture,
  reportFixture,
  XSS,
} from "./helpers.js";

let f: ReportFixture;
let d: DiversityFixture;
let out: string;
const hasFont = FONT_CANDIDATES.some((p) => existsSync(p));
if (!hasFont)
  console.warn(
    "SKIPPED: PNG tests of the report need DejaVu Sans (Debian: apt-get install fonts-dejavu-core)",
  );

beforeAll(async () => {
  f = await reportFixture(await tempDir());
  d = await diversityFixture(join(f.dir, "diversity"));
  out = join(f.dir, "out");
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as ArrangeError,
  );

describe("report", () => {
  it("escapes text for HTML and JSON for an inline script", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const json = jsonForScript({ s: XSS, t: "a\u2028b" });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual({ s: XSS, t: "a\u2028b" });
  });

  it("writes one HTML page whose texts cannot break out of their elements", async () => {
    const html = join(out, "page.html");
    const r = await report({
      analyses: [f.nft, f.fft],
      labels: ["nft <i>", "fft"],
      trainRuns: [f.runDir],
      out: html,
      title: `Title ${XSS}`,
    });
    expect(r.charts).toEqual([
      "curves",
      "window-curves",
      "task-curves",
      "composition",
      "batch-tasks",
      "wsd",
      "rounds",
      "projection",
      "coverage",
    ]);
    expect(r.manifests).toEqual([f.manifest]);
    const text = await readFile(html, "utf8");
    expect(r.bytes).toBe(Buffer.byteLength(text));
    // Only our three script elements; the payload appears only escaped.
    expect(text.match(/<script/gi)).toHaveLength(3);
    expect(text.match(/<\/script/gi)).toHaveLength(3);
    expect(text).not.toContain("<img");
    expect(text).toContain(escapeHtml(XSS));
    expect(text).toContain("Title &lt;/script&gt;&lt;img");
    // The flagged test row and its nearest training row are shown with their texts.
    expect(text).toContain(escapeHtml(`near a ${XSS}`));
    expect(text).toContain(escapeHtml(`a b a b ${XSS}`));
    expect(text).toContain("t\\u003cb\\u003e\\u0026c");
    // The manifest beside nft.jsonl was found and shown; every chart has a figure element.
    expect(text).toContain("arrange run of nft &lt;i&gt;");
    for (const name of r.charts) expect(text).toContain(`data-chart="${name}"`);
    // No network: nothing refers to a remote script or stylesheet, and the CSP forbids fetching.
    expect(text).not.toMatch(/<(script|link)[^>]+(src|href)=/i);
    expect(text).toContain("default-src 'none'");
    // The spec JSON round-trips and carries the data.
    const specs = JSON.parse(
      text.match(/<script type="application\/json" id="ia-specs">([^<]*)<\/script>/)![1]!,
    );
    expect(Object.keys(specs)).toEqual(r.charts);
    expect(JSON.stringify(specs.curves)).toContain("test loss");
    // Without diversity files the page has no diversity section.
    expect(text).not.toContain('id="diversity"');
  });

  it("reports diversity files alone: summary table, per-task tables, charts, escaped task names", async () => {
    const html = join(out, "div-only.html");
    const r = await report({
      diversity: [d.narrow, d.broad],
      diversityLabels: ["narrow <b>", "broad"],
      out: html,
    });
    expect(r.charts).toEqual(["diversity-overall", "diversity-tasks", "diversity-clusters"]);
    expect(r.manifests).toEqual([]);
    const text = await readFile(html, "utf8");
    expect(text).toContain('<section id="diversity">');
    expect(text).not.toContain('id="curves"');
    expect(text).not.toContain('id="manifests"');
    expect(text).toContain("2 diversity reports.");
    // The overall figures of each file, as the table shows them.
    const o = d.broadReport.overall;
    const row = text.slice(text.indexOf("<td>broad</td>"));
    for (const v of [
      o.vendi,
      o.clusters.effective,
      o.clusters.normalizedEntropy,
      o.meanPairwiseCosineDistance!,
    ])
      expect(row).toContain(`<td class="num">${v.toPrecision(4)}</td>`);
    expect(row).toContain(`<td class="num">${o.clusters.used} / ${o.clusters.k}</td>`);
    expect(text).toContain("narrow &lt;b&gt;");
    // Per-task tables: every task of both files, names escaped; no markup got through.
    expect(text).toContain("<td>t&lt;b&gt;&amp;c</td>");
    for (const task of [...Object.keys(d.narrowReport.perTask), ...Object.keys(d.broadReport.perTask)])
      expect(text).toContain(`<td>${escapeHtml(task)}</td>`);
    expect(text.match(/<script/gi)).toHaveLength(3);
    expect(text).not.toContain("<b>");
    const specs = JSON.parse(
      text.match(/<script type="application\/json" id="ia-specs">([^<]*)<\/script>/)![1]!,
    );
    expect(Object.keys(specs)).toEqual(r.charts);
  });

  it("reports analyses and diversity files together, with per-task curve options", async () => {
    const html = join(out, "both.html");
    const r = await report({
      analyses: [f.nft, f.fft],
      diversity: [d.broad],
      out: html,
      taskMeasure: "kl-bigram",
      maxTaskPanels: 1,
    });
    expect(r.charts).toEqual([
      "curves",
      "window-curves",
      "task-curves",
      "composition",
      "batch-tasks",
      "wsd",
      "rounds",
      "projection",
      "coverage",
      "diversity-tasks",
      "diversity-clusters",
    ]);
    const text = await readFile(html, "utf8");
    expect(text).toContain("Similarity curves per test task (kl-bigram)");
    expect(text).toContain("1 of 2 shown");
    expect(text).toContain("2 arrangements, 1 diversity report.");
    const none = await report({ analyses: [f.nft], out: join(out, "none.html"), maxTaskPanels: 0 });
    expect(none.charts).not.toContain("task-curves");
  });

  it("the same inputs give byte-identical HTML, SVG, PNG and CSV", async () => {
    const run = async (dir: string) =>
      report({
        analyses: [f.nft, f.fft],
        diversity: [d.narrow, d.broad],
        trainRuns: [f.runDir],
        out: join(dir, "r.html"),
        svgDir: join(dir, "svg"),
        ...(hasFont ? { pngDir: join(dir, "png") } : {}),
      });
    const a = await run(join(out, "det1"));
    const b = await run(join(out, "det2"));
    expect(a.images.length).toBe(b.images.length);
    // Every chart, the diversity ones included, is exported, each with the CSV of its data.
    expect(a.images.filter((p) => p.endsWith(".svg")).length).toBe(12);
    expect(a.images.filter((p) => p.endsWith(".csv")).length).toBe(hasFont ? 24 : 12);
    const names = [join("r.html"), ...a.images.map((p) => p.slice(join(out, "det1").length + 1))];
    for (const name of names)
      expect(
        Buffer.compare(await readFile(join(out, "det1", name)), await readFile(join(out, "det2", name))),
        name,
      ).toBe(0);
  });

  it.runIf(hasFont)("writes each chart as a valid PNG and SVG, with its Vega-Lite spec", async () => {
    const dir = join(out, "img");
    const r = await report({
      analyses: [f.nft],
      out: join(dir, "r.html"),
      pngDir: join(dir, "png"),
      svgDir: join(dir, "svg"),
      pngScale: 1,
    });
    expect((await readdir(join(dir, "png"))).sort()).toEqual(
      r.charts.flatMap((c) => [`${c}.csv`, `${c}.png`]).sort(),
    );
    for (const c of r.charts) {
      const png = await readFile(join(dir, "png", `${c}.png`));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.length).toBeGreaterThan(5000);
      const svg = await readFile(join(dir, "svg", `${c}.svg`), "utf8");
      const parsed = new Resvg(svg);
      // Scale 1: the PNG is as wide as the SVG (bytes 16..19 of the IHDR chunk).
      expect(png.readUInt32BE(16)).toBe(Math.round(parsed.width));
      const vl = JSON.parse(await readFile(join(dir, "svg", `${c}.vl.json`), "utf8"));
      expect(vl.$schema).toMatch(/vega-lite/);
    }
  });

  it("bad inputs fail naming the file and the fix, and leave no output behind", async () => {
    const html = join(out, "bad", "r.html");
    const missing = await failure(report({ analyses: [join(f.dir, "nope.json")], out: html }));
    expect(missing).toBeInstanceOf(ArrangeError);
    expect(missing.file).toBe(join(f.dir, "nope.json"));
    expect(missing.describe()).toMatch(/no such file[\s\S]*fix: .*analyze --out/);

    const notAnalysis = await failure(report({ analyses: [f.manifest], out: html }));
    expect(notAnalysis.file).toBe(f.manifest);
    expect(notAnalysis.message).toMatch(/not an instruct-arrange analysis/);

    const broken = join(f.dir, "broken.json");
    await writeFile(broken, "{ not json");
    expect((await failure(report({ analyses: [broken], out: html }))).message).toMatch(/not valid JSON/);

    const partial = join(f.dir, "partial.json");
    const a = JSON.parse(await readFile(f.nft, "utf8"));
    delete a.wsd;
    await writeFile(partial, JSON.stringify(a));
    const e4 = await failure(report({ analyses: [partial], out: html }));
    expect(e4.message).toMatch(/lacks wsd\.histogram\.counts/);
    expect(e4.fix).toMatch(/rerun/);

    const spaced = join(f.dir, "spaced.json");
    const b = JSON.parse(await readFile(f.fft, "utf8"));
    b.checkpoints.saveSteps = 3;
    await writeFile(spaced, JSON.stringify(b));
    const e5 = await failure(report({ analyses: [f.nft, spaced], out: html }));
    expect(e5.file).toBe(spaced);
    expect(e5.message).toMatch(/checkpoint spacing differs/);
    expect(e5.fix).toMatch(/--batch-size 1 --save-steps 2/);

    const runDir = join(f.dir, "run-bad");
    await report({ analyses: [f.nft], out: join(out, "ok.html") });
    const { mkdir } = await import("node:fs/promises");
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, "curves.json"), JSON.stringify({ ...f.curves, batchSize: 16 }));
    const e6 = await failure(report({ analyses: [f.nft], trainRuns: [runDir], out: html }));
    expect(e6.file).toBe(join(runDir, "curves.json"));
    expect(e6.fix).toMatch(/--batch-size 16/);
    await writeFile(
      join(runDir, "curves.json"),
      JSON.stringify({ ...f.curves, points: [...f.curves.points].reverse() }),
    );
    expect((await failure(report({ analyses: [f.nft], trainRuns: [runDir], out: html }))).message).toMatch(
      /ascending/,
    );
    const e8 = await failure(report({ analyses: [f.nft], trainRuns: [join(f.dir, "no-run")], out: html }));
    expect(e8.file).toBe(join(f.dir, "no-run"));
    expect(e8.fix).toMatch(/curves\.json/);

    const e9 = await failure(report({ analyses: [f.nft, f.fft], labels: ["one"], out: html }));
    expect(e9.code).toBe("usage");
    expect(e9.option).toBe("--label");
    expect((await failure(report({ analyses: [], out: html }))).option).toBe("--analysis");
    const e10 = await failure(
      report({ analyses: [f.nft], out: html, pngDir: join(out, "p"), font: "/no/font.ttf" }),
    );
    expect(e10.option).toBe("--font");

    expect(existsSync(join(out, "bad"))).toBe(false);
  });

  it("bad diversity inputs and options fail naming the file or option and the fix", async () => {
    const html = join(out, "bad-div", "r.html");
    const asDiversity = await failure(report({ diversity: [f.nft], out: html }));
    expect(asDiversity.file).toBe(f.nft);
    expect(asDiversity.message).toMatch(/not a diversity report \(it is an analysis\)/);
    expect(asDiversity.fix).toMatch(/--analysis FILE/);
    const asAnalysis = await failure(report({ analyses: [d.narrow], out: html }));
    expect(asAnalysis.file).toBe(d.narrow);
    expect(asAnalysis.fix).toMatch(/--diversity FILE/);
    const other = await failure(report({ diversity: [f.manifest], out: html }));
    expect(other.message).toMatch(/not an instruct-arrange diversity report/);
    expect(other.fix).toMatch(/diversity --out/);
    const missing = await failure(report({ diversity: [join(f.dir, "none.json")], out: html }));
    expect(missing.file).toBe(join(f.dir, "none.json"));
    expect(missing.fix).toMatch(/diversity --out/);

    const j = JSON.parse(await readFile(d.narrow, "utf8"));
    const partial = join(f.dir, "div-partial.json");
    await writeFile(
      partial,
      JSON.stringify({ ...j, perTask: undefined, overall: { ...j.overall, vendi: "x" } }),
    );
    const e1 = await failure(report({ diversity: [partial], out: html }));
    expect(e1.file).toBe(partial);
    expect(e1.message).toMatch(/lacks overall\.vendi, perTask/);
    expect(e1.fix).toMatch(/rerun `instruct-arrange diversity`/);
    const badTask = join(f.dir, "div-task.json");
    await writeFile(badTask, JSON.stringify({ ...j, perTask: { ...j.perTask, repeat: { rows: 1 } } }));
    expect((await failure(report({ diversity: [badTask], out: html }))).message).toMatch(
      /perTask\["repeat"\]\.vendi is not a number/,
    );

    const none = await failure(report({ out: html }));
    expect(none.code).toBe("usage");
    expect(none.fix).toMatch(/--diversity FILE/);
    expect((await failure(report({ diversity: [d.narrow], trainRuns: [f.runDir], out: html }))).option).toBe(
      "--train-run",
    );
    expect((await failure(report({ diversity: [d.narrow], labels: ["x"], out: html }))).option).toBe(
      "--label",
    );
    const labels = await failure(
      report({ diversity: [d.narrow, d.broad], diversityLabels: ["x"], out: html }),
    );
    expect(labels.option).toBe("--diversity-label");
    const measure = await failure(
      report({ analyses: [f.nft], out: html, taskMeasure: "cos-median" as unknown as "cos-avg" }),
    );
    expect(measure.option).toBe("--task-measure");
    expect(measure.message).toMatch(/cos-min, cos-max, cos-avg/);
    expect((await failure(report({ analyses: [f.nft], out: html, maxTaskPanels: -1 }))).option).toBe(
      "--max-task-panels",
    );
    expect(existsSync(join(out, "bad-div"))).toBe(false);
  });

  it("an existing report is replaced only when the new one is complete", async () => {
    const html = join(out, "keep.html");
    await writeFile(html, "old");
    await failure(report({ analyses: [f.nft, join(f.dir, "nope.json")], out: html }));
    expect(await readFile(html, "utf8")).toBe("old");
    expect((await readdir(out)).filter((n) => n.includes(".staged"))).toEqual([]);
  });

  it("the page: contamination table once per training set with the neighbour's task, the embedder caveat", async () => {
    const html = join(out, "once.html");
    await report({ analyses: [f.nft, f.fft], labels: ["nft", "fft"], out: html });
    const text = await readFile(html, "utf8");
    const contamination = text.slice(text.indexOf('<section id="contamination">'));
    expect(contamination.match(/<table>/g)).toHaveLength(1);
    expect(contamination).toContain("<h3>training set of nft, fft</h3>");
    expect(contamination).toContain("nearest row's training task");
    expect(contamination).toContain("task <b>alpha_one</b>");
    expect(contamination).toMatch(/only on that embedder's scale/);
    expect(text).toContain('<section id="mix">');
    // An analysis written before the task mix and per-interval curves still draws, without those charts.
    const old = JSON.parse(await readFile(f.nft, "utf8"));
    delete old.composition;
    delete old.curves.window;
    delete old.curves.wsd;
    delete old.tma.starts;
    delete old.inputs.train.contentHash;
    for (const r of old.coverage.rows) for (const n of r.nearest) delete n.task;
    const oldPath = join(f.dir, "old.analysis.json");
    await writeFile(oldPath, JSON.stringify(old));
    const r = await report({
      analyses: [oldPath, f.fft],
      labels: ["old", "fft"],
      out: join(out, "old.html"),
    });
    expect(r.charts).toContain("composition");
    expect(r.charts).toContain("window-curves");
    const alone = await report({ analyses: [oldPath], out: join(out, "old-alone.html") });
    expect(alone.charts).not.toContain("composition");
    expect(await readFile(join(out, "old-alone.html"), "utf8")).toContain("do not record their task mix");
    // Without content hashes the same rows are still recognized (same WSD histogram and neighbours).
    expect(
      (await readFile(join(out, "old.html"), "utf8")).match(/<h3>training set of old, fft<\/h3>/g),
    ).toHaveLength(1);
  });

  it("checks the new chart options", async () => {
    const html = join(out, "opts", "r.html");
    const bad: [Partial<ReportOptions>, string][] = [
      [{ maxSteps: 0 }, "--max-steps"],
      [{ taskGroup: "(" }, "--task-group"],
      [{ taskGroup: "^t", taskMeasure: "cos-centroid" as const }, "--task-measure"],
      [{ measures: ["cos-avg", "nope"] }, "--measures"],
      [{ figure: "nope", out: join(out, "opts", "f.svg") }, "--figure"],
      [{ figure: "curves", out: join(out, "opts", "f.pdf") }, "--out"],
      [{ figure: "curves", out: join(out, "opts", "f.svg"), figureWidth: 0.5 }, "--figure-width"],
      [{ figure: "curves", out: join(out, "opts", "f.png"), dpi: 5 }, "--dpi"],
    ];
    for (const [o, option] of bad) {
      const e = await failure(report({ analyses: [f.nft], out: html, ...o }));
      expect(e.code, option).toBe("usage");
      expect(e.option, option).toBe(option);
      expect(e.fix, option).toBeTruthy();
    }
    expect(existsSync(join(out, "opts"))).toBe(false);
  });

  it("figure mode: one chart at a paper width as SVG (inches) or PNG (dpi), its data as CSV beside it", async () => {
    const dir = join(out, "fig");
    const svg = await report({
      analyses: [f.nft, f.fft],
      out: join(dir, "curves.svg"),
      figure: "curves",
      measures: ["cos-avg", "kl-bigram"],
      figureWidth: 3.25,
    });
    expect(svg.charts).toEqual(["curves"]);
    expect(svg.csv).toBe(join(dir, "curves.csv"));
    const text = await readFile(join(dir, "curves.svg"), "utf8");
    expect(text).toMatch(/^<svg[^>]* width="3.25in" height="[\d.]+in"/);
    const viewBox = text.match(/viewBox="0 0 ([\d.]+) ([\d.]+)"/)!;
    // The drawing fits the column: at most 3.25 in × 72 px wide (plus the legend's rounding).
    expect(Number(viewBox[1])).toBeLessThanOrEqual(3.25 * 72 + 20);
    expect(Number(viewBox[1])).toBeGreaterThan(3.25 * 72 * 0.7);
    const csv = (await readFile(join(dir, "curves.csv"), "utf8")).trimEnd().split("\n");
    expect(csv[0]!.split(",")).toEqual(expect.arrayContaining(["series", "panel", "step", "value"]));
    const panels = new Set(csv.slice(1).map((l) => l.split(",")[2]));
    expect(panels).toEqual(new Set(["cos-avg", "kl-bigram", ""]));
    expect(existsSync(join(dir, "curves.html"))).toBe(false);
    if (hasFont) {
      const png = await report({
        analyses: [f.nft],
        out: join(dir, "mix.png"),
        figure: "composition",
        figureWidth: 6.75,
        dpi: 200,
      });
      const bytes = await readFile(png.out);
      expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(bytes.readUInt32BE(16)).toBe(Math.round(6.75 * 200));
      expect(existsSync(join(dir, "mix.csv"))).toBe(true);
      const again = await report({
        analyses: [f.nft],
        out: join(dir, "mix2.png"),
        figure: "composition",
        figureWidth: 6.75,
        dpi: 200,
      });
      expect(Buffer.compare(bytes, await readFile(again.out))).toBe(0);
      expect(
        Buffer.compare(await readFile(join(dir, "mix.csv")), await readFile(join(dir, "mix2.csv"))),
      ).toBe(0);
    }
  });

  it("labels default to the file names, made unique", async () => {
    const { makeLabels } = await import("../../src/report/load.js");
    expect(makeLabels(["a/nft.json", "b/fft.json"], undefined, "--label")).toEqual(["nft", "fft"]);
    expect(makeLabels(["a/x.json", "b/x.json"], undefined, "--label")).toEqual(["a/x", "b/x"]);
    expect(makeLabels(["a/x.json", "a/x.json"], undefined, "--label")).toEqual(["a/x #1", "a/x #2"]);
    expect(() => makeLabels(["a", "b"], ["l", "l"], "--label")).toThrow(/given twice/);
  });
});
