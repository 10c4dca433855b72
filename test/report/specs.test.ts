import { Resvg } from "@resvg/resvg-js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DIVERSITY_OVERALL_MEASURES,
  DIVERSITY_TASK_MEASURES,
  diversityClustersSpec,
  diversityCompareSpec,
  diversityTasksSpec,
  MAX_LABELLED_TASKS,
  reportCharts,
} from "../../src/report/charts/index.js";
import { renumberSvgIds, toVega, vegaToSvg } from "../../src/report/render.js";
import type { ReportData, ReportDiversity } from "../../src/report/types.js";
import { tempDir } from "../helpers/tmp.js";
import { type DiversityFixture, diversityFixture, type ReportFixture, reportFixture } from "./helpers.js";

type Row = Record<string, unknown>;
const rowsOf = (spec: unknown): Row[] => (spec as { data: { values: Row[] } }).data.values;

let f: ReportFixture;
let both: Pick<ReportData, "arrangements" | "runs">;
let withRun: Pick<ReportData, "arrangements" | "runs">;
let d: DiversityFixture;
let divs: ReportDiversity[];

beforeAll(async () => {
  f = await reportFixture(await tempDir());
  d = await diversityFixture(await tempDir());
  divs = [
    { label: "narrow", path: d.narrow, report: d.narrowReport },
    { label: "broad", path: d.broad, report: d.broadReport },
  ];
  both = {
    arrangements: [
      { label: "nft", path: f.nft, analysis: f.nftAnalysis },
      { label: "fft", path: f.fft, analysis: f.fftAnalysis },
    ],
    runs: [],
  };
  withRun = { ...both, runs: [{ label: "nft", path: f.runDir, curves: f.curves }] };
});

describe("report chart specs", () => {
  it("SVG gradient and clip ids are numbered from 0 within each chart", () => {
    const svg =
      '<g id="clip7"><p fill="url(#gradient_12)" clip-path="url(#clip7)"/><l id="gradient_12"/><l id="gradient_3"/></g>';
    expect(renumberSvgIds(svg)).toBe(
      '<g id="clip0"><p fill="url(#gradient_0)" clip-path="url(#clip0)"/><l id="gradient_0"/><l id="gradient_1"/></g>',
    );
  });

  it("diversity per task: Vendi score and normalized entropy of every task of every file, sorted by Vendi", () => {
    const spec = diversityTasksSpec(divs) as unknown as Row;
    const rows = rowsOf(spec);
    const expected: unknown[] = [];
    for (const x of divs)
      for (const [task, t] of Object.entries(x.report.perTask)) {
        expected.push([x.label, task, DIVERSITY_TASK_MEASURES[0], t.vendi]);
        expected.push([x.label, task, DIVERSITY_TASK_MEASURES[1], t.clusters.normalizedEntropy]);
      }
    expect(rows.map((r) => [r.dataset, r.task, r.measure, r.value])).toEqual(expected);
    expect(rows.filter((r) => r.dataset === "narrow").map((r) => r.task)).toContain("t<b>&c");
    // Tasks sorted by their mean Vendi score over the files, highest first.
    const mean = (task: string) => {
      const v = divs.map((x) => x.report.perTask[task]?.vendi).filter((x) => x !== undefined) as number[];
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    const y = ((spec.spec as Row).encoding as Record<string, Row>).y!;
    const sorted = y.sort as string[];
    expect([...sorted].sort()).toEqual(["counting", "repeat", "spread", "t<b>&c"]);
    for (let i = 1; i < sorted.length; i++)
      expect(mean(sorted[i - 1]!)).toBeGreaterThanOrEqual(mean(sorted[i]!));
    // Several files: bars side by side within a task; one file: no offset, no legend.
    expect(((spec.spec as Row).encoding as Row).yOffset).toEqual({
      field: "dataset",
      type: "nominal",
      sort: ["narrow", "broad"],
    });
    const one = diversityTasksSpec([divs[0]!]) as unknown as Row;
    expect(((one.spec as Row).encoding as Row).yOffset).toBeUndefined();
    expect(rowsOf(one)).toHaveLength(2 * Object.keys(d.narrowReport.perTask).length);
    // Many tasks: names leave the axis (tooltips keep them).
    const many: ReportDiversity = {
      ...divs[0]!,
      report: {
        ...d.narrowReport,
        perTask: Object.fromEntries(
          Array.from({ length: MAX_LABELLED_TASKS + 1 }, (_, i) => [
            `task${i}`,
            d.narrowReport.perTask.repeat!,
          ]),
        ),
      },
    };
    const yMany = (
      ((diversityTasksSpec([many]) as unknown as Row).spec as Row).encoding as Record<string, Row>
    ).y!;
    expect(yMany.axis).toMatchObject({ labels: false });
    expect(diversityTasksSpec([{ ...divs[0]!, report: { ...d.narrowReport, perTask: {} } }])).toBeUndefined();
  });

  it("cluster sizes: each file's clusters largest first as shares, with the even share 1/k", () => {
    const rows = rowsOf(diversityClustersSpec(divs));
    for (const x of divs) {
      const mine = rows.filter((r) => r.dataset === x.label);
      const sizes = x.report.overall.clusters.sizes;
      expect(mine.map((r) => r.size)).toEqual([...sizes].sort((a, b) => b - a));
      expect(mine.map((r) => r.rank)).toEqual(sizes.map((_, i) => i + 1));
      const total = sizes.reduce((a, b) => a + b, 0);
      for (const r of mine) expect(r.share as number).toBeCloseTo((r.size as number) / total, 6);
      expect(mine.reduce((s, r) => s + (r.share as number), 0)).toBeCloseTo(1, 5);
      expect(mine.every((r) => r.even === 1 / x.report.overall.clusters.k)).toBe(true);
      expect(String(mine[0]!.panel)).toContain(`k = ${x.report.overall.clusters.k}`);
    }
    // A report without sizes (older or edited) has no cluster chart.
    const { sizes: _, ...noSizes } = d.narrowReport.overall.clusters;
    const without = {
      ...divs[0]!,
      report: { ...d.narrowReport, overall: { ...d.narrowReport.overall, clusters: noSizes } },
    };
    expect(diversityClustersSpec([without as unknown as ReportDiversity])).toBeUndefined();
  });

  it("diversity compared: every overall figure of each file, only for two files or more", () => {
    const rows = rowsOf(diversityCompareSpec(divs));
    for (const x of divs) {
      const o = x.report.overall;
      const mine = rows.filter((r) => r.dataset === x.label);
      expect(mine.map((r) => r.measure)).toEqual([...DIVERSITY_OVERALL_MEASURES]);
      expect(mine.map((r) => r.value)).toEqual([
        o.vendi,
        o.clusters.effective,
        o.clusters.used,
        o.clusters.normalizedEntropy,
        o.meanPairwiseCosineDistance,
      ]);
    }
    expect(diversityCompareSpec([divs[0]!])).toBeUndefined();
    // The broad set is the more diverse one by the Vendi score.
    expect(d.broadReport.overall.vendi).toBeGreaterThan(d.narrowReport.overall.vendi);
  });

  it("one chart per figure, each compiling to Vega and drawing a parseable SVG with marks", async () => {
    const charts = reportCharts({ ...withRun, diversity: divs });
    expect(charts.map((c) => c.name)).toEqual([
      "curves",
      "window-curves",
      "task-curves",
      "composition",
      "batch-tasks",
      "wsd",
      "rounds",
      "projection",
      "coverage",
      "diversity-overall",
      "diversity-tasks",
      "diversity-clusters",
    ]);
    expect(reportCharts({ arrangements: [both.arrangements[1]!], runs: [] }).map((c) => c.name)).toEqual([
      "curves",
      "window-curves",
      "task-curves",
      "composition",
      "batch-tasks",
      "wsd",
      "projection",
      "coverage",
    ]);
    expect(reportCharts({ arrangements: [], runs: [], diversity: [divs[1]!] }).map((c) => c.name)).toEqual([
      "diversity-tasks",
      "diversity-clusters",
    ]);
    for (const c of charts) {
      const svg = await vegaToSvg(toVega(c.spec));
      expect(svg.startsWith("<svg")).toBe(true);
      // resvg parses the SVG as XML (it throws on malformed input) and sizes it.
      const r = new Resvg(svg);
      expect(r.width).toBeGreaterThan(200);
      expect(r.height).toBeGreaterThan(100);
      expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(5);
      expect(svg).toContain(c.spec.title as string);
    }
  });
});
