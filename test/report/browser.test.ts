import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { report } from "../../src/report/report.js";
import { tempDir } from "../helpers/tmp.js";
import { diversityFixture, reportFixture } from "./helpers.js";

/** Debian's chromium; playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";
if (!available && !inCi)
  console.warn(
    `SKIPPED: the report browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`,
  );

describe("report in headless Chromium", () => {
  it.runIf(inCi)("Chromium is installed (required in CI)", () => {
    expect(available, `no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install chromium`).toBe(
      true,
    );
  });

  it.runIf(available)(
    "loads offline with no errors and no requests, draws every chart, runs no injected script, screenshots",
    async () => {
      const f = await reportFixture(await tempDir());
      const d = await diversityFixture(join(f.dir, "diversity"));
      const html = join(f.dir, "report.html");
      const r = await report({
        analyses: [f.nft, f.fft],
        trainRuns: [f.runDir],
        diversity: [d.narrow, d.broad],
        out: html,
        title: "browser test <img src=x onerror=\"window.__xss='title'\">",
      });
      const url = pathToFileURL(html).href;
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
        page.on("dialog", (d) => {
          problems.push(`dialog: ${d.message()}`);
          void d.dismiss();
        });
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
              height: box?.height ?? 0,
              marks: svg?.querySelectorAll("path, line, rect, text").length ?? 0,
            };
          }),
        );
        expect(charts.map((c) => c.name)).toEqual(r.charts);
        // The per-task curves, the per-interval curves, the task mix and every diversity chart are drawn.
        for (const name of [
          "task-curves",
          "window-curves",
          "composition",
          "batch-tasks",
          "diversity-overall",
          "diversity-tasks",
          "diversity-clusters",
        ])
          expect(r.charts).toContain(name);
        // Order-independent charts once for the one training set: a single panel each.
        for (const name of ["wsd", "coverage", "rounds", "projection"]) {
          const bars = await page.$$eval(
            `#chart-${name} .mark-group.role-cell, #chart-${name} .cell`,
            (g) => g.length,
          );
          expect(bars, name).toBeLessThanOrEqual(1);
        }
        // TMA round starts are dashed rules on the step axis of the step charts.
        for (const name of ["curves", "window-curves", "composition", "batch-tasks"]) {
          const rules = await page.$$eval(`#chart-${name} .mark-rule line`, (ls) => ls.length);
          expect(rules, name).toBeGreaterThan(0);
        }
        // Every y axis title of the step charts says which way is better.
        const titles = await page.$$eval("#chart-curves .role-axis-title text", (ts) =>
          ts.map((t) => t.textContent),
        );
        expect(titles).toContain("lower = more similar");
        expect(titles).toContain("lower = better");
        // Nothing overflows its figure, and no legend is cut off by the chart's own box.
        const fits = await page.$$eval("figure[data-chart]", (figs) =>
          figs.map((fig) => {
            const svg = fig.querySelector(".view svg")!.getBoundingClientRect();
            const legends = [...fig.querySelectorAll(".role-legend")].map((l) => l.getBoundingClientRect());
            return {
              name: fig.getAttribute("data-chart"),
              overflow: fig.scrollWidth - fig.clientWidth,
              legendInside: legends.every((l) => l.right <= svg.right + 1 && l.bottom <= svg.bottom + 1),
            };
          }),
        );
        for (const c of fits) {
          expect(c.overflow, c.name ?? "").toBeLessThanOrEqual(0);
          expect(c.legendInside, c.name ?? "").toBe(true);
        }
        for (const c of charts) {
          expect(c.rendered, c.name ?? "").toBe("true");
          expect(c.width, c.name ?? "").toBeGreaterThan(100);
          expect(c.height, c.name ?? "").toBeGreaterThan(50);
          expect(c.marks, c.name ?? "").toBeGreaterThan(10);
        }
        // The snippets with markup stayed text: no element was made from them and nothing ran.
        expect(await page.evaluate("document.querySelectorAll('img').length")).toBe(0);
        expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
        expect(await page.evaluate("document.title")).toContain("<img");
        const cell = await page.$$eval("td.text", (tds) => tds.map((td) => td.textContent ?? ""));
        expect(cell.some((t) => t.includes("</script><img"))).toBe(true);

        const shot = join(f.dir, "report.png");
        await page.screenshot({ path: shot, fullPage: true });
        const png = await readFile(shot);
        expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
        expect(png.length).toBeGreaterThan(50_000);
      } finally {
        await browser.close();
      }
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    },
  );
});
