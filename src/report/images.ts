import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Spec as VegaSpec } from "vega";
import { ArrangeError } from "../core/errors.js";
import { openTemp } from "../core/temp-files.js";
import { writeAll } from "../data/atomic.js";
import { type Staging, writeLines } from "../data/staging.js";
import { svgToPng, vegaToSvg } from "./render.js";
import type { ReportChart } from "./types.js";

/** Creates the output directories of a page and its images, naming the option of any that fails. */
export async function makeOutputDirs(dirs: { out: string; pngDir?: string; svgDir?: string }): Promise<void> {
  for (const [dir, option] of [
    [dirname(dirs.out), "--out"],
    [dirs.pngDir, "--png-dir"],
    [dirs.svgDir, "--svg-dir"],
  ] as const) {
    if (dir === undefined) continue;
    try {
      await mkdir(dir, { recursive: true });
    } catch (cause) {
      throw new ArrangeError("io", `cannot create the directory: ${(cause as Error).message}`, {
        file: dir,
        option,
        fix: "pass a directory you can write to",
        cause,
      });
    }
  }
}

async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  try {
    const fh = await openTemp(path, "w");
    try {
      await writeAll(fh, bytes);
    } finally {
      await fh.close();
    }
  } catch (cause) {
    throw new ArrangeError("io", `cannot write: ${String(cause)}`, {
      file: path,
      fix: "check the path and free disk space",
      cause,
    });
  }
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const text = typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Every inline `data.values` table of a spec (top level, layers, concatenated and faceted parts), once each. */
function inlineTables(spec: unknown, out: unknown[][] = []): unknown[][] {
  if (spec === null || typeof spec !== "object") return out;
  const o = spec as Record<string, unknown>;
  const values = (o.data as { values?: unknown } | undefined)?.values;
  if (Array.isArray(values) && !out.includes(values)) out.push(values);
  for (const key of ["layer", "concat", "vconcat", "hconcat"])
    if (Array.isArray(o[key])) for (const part of o[key] as unknown[]) inlineTables(part, out);
  if (o.spec !== undefined) inlineTables(o.spec, out);
  return out;
}

/**
 * The data a chart plots as CSV: one line per row of its inline data, columns in the order they first
 * appear, so a figure can be redrawn in another tool. A chart drawn from several tables gets a first
 * column `table` numbering them. Undefined for a spec without inline data.
 */
export function chartCsv(spec: unknown): string | undefined {
  const tables = inlineTables(spec);
  if (tables.length === 0) return undefined;
  const several = tables.length > 1;
  const rows = tables.flatMap((t, i) =>
    t.map((row) => (several ? { table: i + 1, ...(row as object) } : (row as object))),
  );
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const k of Object.keys(row))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows)
    lines.push(columns.map((c) => csvField((row as Record<string, unknown>)[c])).join(","));
  return `${lines.join("\n")}\n`;
}

/**
 * Draws every chart into `staged`: `<svgDir>/<name>.svg` with its Vega-Lite spec `<name>.vl.json`, and
 * `<pngDir>/<name>.png` (resvg with `font`, at `pngScale`), each with `<name>.csv` of the plotted data
 * beside it. Returns the paths written, in order.
 */
export async function stageChartImages(
  staged: Staging,
  charts: readonly { chart: Pick<ReportChart, "name" | "spec">; vega: VegaSpec }[],
  o: { pngDir?: string; svgDir?: string; font?: string; pngScale?: number; onChart?: (done: number) => void },
): Promise<string[]> {
  const images: string[] = [];
  if (o.pngDir === undefined && o.svgDir === undefined) return images;
  for (const [i, { chart, vega }] of charts.entries()) {
    const svg = await vegaToSvg(vega);
    const csv = chartCsv(chart.spec);
    for (const dir of new Set([o.svgDir, o.pngDir]))
      if (dir !== undefined && csv !== undefined) {
        const csvPath = join(dir, `${chart.name}.csv`);
        await writeLines(staged.path(csvPath), [csv]);
        images.push(csvPath);
      }
    if (o.svgDir !== undefined) {
      const svgPath = join(o.svgDir, `${chart.name}.svg`);
      const specPath = join(o.svgDir, `${chart.name}.vl.json`);
      await writeLines(staged.path(svgPath), [svg]);
      await writeLines(staged.path(specPath), [`${JSON.stringify(chart.spec, null, 2)}\n`]);
      images.push(svgPath, specPath);
    }
    if (o.pngDir !== undefined) {
      if (o.font === undefined)
        throw new ArrangeError("internal", "PNG images need a font file", { fix: "please report this" });
      const pngPath = join(o.pngDir, `${chart.name}.png`);
      await writeBytes(staged.path(pngPath), svgToPng(svg, o.font, o.pngScale));
      images.push(pngPath);
    }
    o.onChart?.(i + 1);
  }
  return images;
}
