import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "../../src/experiment/index.js";
import { builtinSpec } from "../../src/experiment/index.js";
import { experimentCharts } from "../../src/report/charts/experiment.js";
import { experimentReport } from "../../src/report/pages/experiment.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { reportFixture } from "./helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);

/** An experiment result of three arms × three seeds with made-up but consistent curves. */
function fixture(): ExperimentResult {
  const arms = ["NFT", "RT", "FFT"];
  const seeds = [0, 1, 2];
  const steps = [0, 10, 20, 30];
  const loss = (a: number, s: number, step: number) => 5 - step * (0.05 - 0.01 * a) + 0.02 * s;
  const runs = seeds.flatMap((seed) =>
    arms.map((arm, a) => {
      const curve = steps.map((st) => loss(a, seed, st));
      return {
        arm,
        label: `${arm} seed ${seed}`,
        seed,
        arranged: `/x/arranged/${arm.toLowerCase()}.jsonl`,
        runDir: `/x/runs/${arm.toLowerCase()}-seed${seed}`,
        rows: 100,
        area: curve.reduce((s, v) => s + v, 0) / curve.length,
        finalLoss: curve.at(-1)!,
        minLoss: Math.min(...curve),
        stepsPerSecond: 1.5,
        reused: false,
      };
    }),
  );
  const summary = arms.map((arm, a) => {
    const mine = runs.filter((r) => r.arm === arm);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    return {
      arm,
      label: arm,
      runs: 3,
      rows: 100,
      area: { mean: mean(mine.map((r) => r.area)), std: 0.02 },
      finalLoss: { mean: mean(mine.map((r) => r.finalLoss)), std: 0.02 },
      curve: steps.map((step) => {
        const v = seeds.map((s) => loss(a, s, step));
        return {
          step,
          examples: step * 16,
          loss: mean(v),
          std: 0.02,
          min: Math.min(...v),
          max: Math.max(...v),
          n: 3,
        };
      }),
    };
  });
  return {
    tool: "instruct-arrange",
    version: "0",
    kind: "experiment",
    name: "fig4",
    description: "browser test <img src=x onerror=\"window.__xss='desc'\">",
    figure: "Fig. 4",
    spec: builtinSpec("fig4"),
    specSource: "built-in experiment fig4",
    train: "/x/train",
    test: "/x/test",
    split: null,
    measure: "wsd",
    embedder: "ngram",
    seeds,
    aucSteps: null,
    budget: null,
    roundGroups: null,
    training: { model: "builtin:tiny", steps: 30, batchSize: 16, evalEvery: 10, testExamples: 20 },
    runs,
    summary,
    verdict: {
      comparisons: [
        {
          metric: "area",
          order: arms,
          statement: "NFT < RT < FFT",
          means: summary.map((s) => s.area.mean),
          holdsOnMeans: true,
          seeds: 3,
          seedsHolding: 3,
          perSeed: [],
        },
      ],
    },
  };
}

describe("experiment report", () => {
  it("draws the mean curve with its spread band and the per-seed areas; same input, same bytes", async () => {
    const result = fixture();
    const charts = experimentCharts(result);
    expect(charts.map((c) => c.name)).toEqual(["experiment-curves", "experiment-areas"]);
    const curveValues = (
      charts[0]!.spec as { data: { values: { arm: string; lo: number; hi: number; loss: number }[] } }
    ).data.values;
    expect(curveValues).toHaveLength(12);
    for (const v of curveValues) expect(v.lo <= v.loss && v.loss <= v.hi).toBe(true);
    const dir = await tempDir();
    const a = await experimentReport({ result, out: join(dir, "a.html"), svgDir: join(dir, "svg") });
    const b = await experimentReport({ result, out: join(dir, "b.html") });
    expect(await readFile(a.out, "utf8")).toBe(await readFile(b.out, "utf8"));
    expect(a.images.map((p) => p.slice(dir.length + 1))).toEqual([
      "svg/experiment-curves.csv",
      "svg/experiment-curves.svg",
      "svg/experiment-curves.vl.json",
      "svg/experiment-areas.csv",
      "svg/experiment-areas.svg",
      "svg/experiment-areas.vl.json",
    ]);
    const html = await readFile(a.out, "utf8");
    expect(html).toContain("NFT &lt; RT &lt; FFT");
    expect(html).not.toContain("<img src=x");
  });

  describe("report --experiment (CLI)", () => {
    requireBuiltCli();
    it("writes the page from OUT/experiment.json and takes no other inputs", async () => {
      const dir = await tempDir();
      const file = join(dir, "experiment.json");
      await writeFile(file, JSON.stringify(fixture()));
      const ok = cli(["report", "--experiment", file, "--out", join(dir, "page.html")]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(await readFile(join(dir, "page.html"), "utf8")).toContain('data-chart="experiment-curves"');
      const both = cli(["report", "--experiment", file, "--analysis", file, "--out", join(dir, "x.html")]);
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/takes no --analysis/);
      await writeFile(join(dir, "other.json"), '{"kind": "train-curves"}');
      const wrong = cli(["report", "--experiment", join(dir, "other.json"), "--out", join(dir, "y.html")]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/not an experiment file/);
    });
  });

  it.runIf(available)(
    "renders in headless Chromium offline, with no errors and no requests",
    async () => {
      const dir = await tempDir();
      const out = join(dir, "report.html");
      // Real analyses stand in for the arms' (their steps differ from the runs', which the chart allows).
      const f = await reportFixture(join(dir, "analyses"));
      const result = fixture();
      for (const r of result.runs) r.analysis = r.arm === "FFT" ? f.fft : f.nft;
      const written = await experimentReport({ result, out });
      expect(written.charts).toContain("experiment-similarity");
      const url = pathToFileURL(out).href;
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-background-networking"],
      });
      const problems: string[] = [];
      const requests: string[] = [];
      try {
        const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning")
            problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        await page.route("**/*", (route) => {
          const u = route.request().url();
          if (u === url) return route.continue();
          requests.push(u);
          return route.abort();
        });
        await page.goto(url, { waitUntil: "load" });
        await page.waitForSelector("body[data-charts-done]", { timeout: 60_000 });
        const charts = await page.$$eval("figure[data-chart]", (figs) =>
          figs.map((fig) => {
            const svg = fig.querySelector(".view svg");
            const box = svg?.getBoundingClientRect();
            return {
              name: fig.getAttribute("data-chart"),
              rendered: fig.getAttribute("data-rendered"),
              width: box?.width ?? 0,
              marks: svg?.querySelectorAll("path, line, rect, text").length ?? 0,
            };
          }),
        );
        expect(charts.map((c) => c.name)).toEqual([
          "experiment-curves",
          "experiment-areas",
          "experiment-similarity",
        ]);
        // Legend swatches are the lines' colours at full opacity, not the pale bands'.
        const swatches = await page.$$eval("#chart-experiment-curves .role-legend-symbol path", (ps) =>
          ps.map((p) => ({ stroke: p.getAttribute("stroke"), opacity: p.getAttribute("opacity") })),
        );
        const lines = await page.$$eval("#chart-experiment-curves .mark-line path", (ps) =>
          ps.map((p) => p.getAttribute("stroke")),
        );
        expect(swatches.map((s) => s.stroke)).toEqual(lines);
        expect(swatches.every((s) => s.opacity === null || s.opacity === "1")).toBe(true);
        // The similarity chart: the loss panel and the four similarity panels on one step axis.
        const panels = await page.$$eval("#chart-experiment-similarity .mark-line path", (ps) => ps.length);
        expect(panels).toBe(5 * 3);
        for (const c of charts) {
          expect(c.rendered, c.name ?? "").toBe("true");
          expect(c.width, c.name ?? "").toBeGreaterThan(300);
          expect(c.marks, c.name ?? "").toBeGreaterThan(10);
        }
        const tables = await page.$$eval("table", (ts) => ts.length);
        expect(tables).toBeGreaterThanOrEqual(4);
        expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
      } finally {
        await browser.close();
      }
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    },
    90_000,
  );
});
