import { Resvg } from "@resvg/resvg-js";
import { beforeAll, describe, expect, it } from "vitest";
import { CURVE_NAMES } from "../../src/analyze/types.js";
import { renumberSvgIds, toVega, vegaToSvg } from "../../src/report/render.js";
import {
  coverageSpec,
  curvesSpec,
  DIVERSITY_OVERALL_MEASURES,
  DIVERSITY_TASK_MEASURES,
  diversityClustersSpec,
  diversityCompareSpec,
  diversityTasksSpec,
  MAX_LABELLED_TASKS,
  MAX_TASK_CURVE_POINTS,
  projectionSpec,
  reportCharts,
  roundsSpec,
  seriesDomain,
  taskCurveStride,
  taskCurvesSpec,
  taskPanels,
  wsdSpec,
} from "../../src/report/specs.js";
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
  it("curves: one row per arrangement × measure × checkpoint with the analysis values, one panel per measure", () => {
    const spec = curvesSpec(both) as unknown as Row;
    const rows = rowsOf(spec);
    expect(rows).toHaveLength(2 * CURVE_NAMES.length * f.nftAnalysis.checkpoints.steps.length);
    for (const [label, a] of [
      ["nft", f.nftAnalysis],
      ["fft", f.fftAnalysis],
    ] as const)
      for (const m of CURVE_NAMES) {
        const mine = rows.filter((r) => r.series === label && r.panel === m);
        expect(mine.map((r) => r.step)).toEqual(a.checkpoints.steps);
        expect(mine.map((r) => r.value)).toEqual(a.curves.overall[m]);
        expect(mine.map((r) => r.examples)).toEqual(a.checkpoints.examples);
      }
    expect((spec.facet as Row).field).toBe("panel");
    expect((spec.facet as Row).sort).toEqual([...CURVE_NAMES]);
    const enc = (spec.spec as Row).encoding as Record<string, Row>;
    expect(enc.x!.field).toBe("step");
    expect(enc.color!.field).toBe("series");
    expect((enc.color!.scale as Row).domain).toEqual(["nft", "fft"]);
    // The x (step) scale is shared by every panel; only y is independent.
    expect(spec.resolve).toEqual({ scale: { y: "independent" } });
  });

  it("curves with a training run: loss panels first, on the same step field, run colour = arrangement colour", () => {
    const spec = curvesSpec(withRun) as unknown as Row;
    const rows = rowsOf(spec);
    expect((spec.facet as Row).sort).toEqual(["test loss", "train loss", ...CURVE_NAMES]);
    const test = rows.filter((r) => r.panel === "test loss");
    expect(test.map((r) => [r.step, r.value])).toEqual(f.curves.points.map((p) => [p.step, p.test.loss]));
    // trainLoss null (step 0) is left out, not drawn as 0.
    const train = rows.filter((r) => r.panel === "train loss");
    expect(train.map((r) => r.step)).toEqual([2, 4, 5]);
    expect(seriesDomain(withRun)).toEqual(["nft", "fft"]);
    expect(seriesDomain({ ...both, runs: [{ ...withRun.runs[0]!, label: "other" }] })).toEqual([
      "nft",
      "fft",
      "other",
    ]);
  });

  it("WSD: the histogram bins of each arrangement, counts summing to the training rows", () => {
    const rows = rowsOf(wsdSpec(both));
    for (const [label, a] of [
      ["nft", f.nftAnalysis],
      ["fft", f.fftAnalysis],
    ] as const) {
      const mine = rows.filter((r) => r.series === label);
      expect(mine).toHaveLength(a.wsd.histogram.bins);
      expect(mine.reduce((s, r) => s + (r.count as number), 0)).toBe(a.inputs.train.rows);
      expect(mine[0]!.start).toBeCloseTo(a.wsd.histogram.min, 9);
      expect(mine[mine.length - 1]!.end).toBeCloseTo(a.wsd.histogram.max, 5);
      expect(String(mine[0]!.panel)).toContain(`w = ${a.wsd.weight.toPrecision(4)}`);
    }
  });

  it("rounds: sizes and mean distances of the arrangements that have rounds; none without", () => {
    const rows = rowsOf(roundsSpec(both));
    expect(rows.map((r) => [r.series, r.round, r.size])).toEqual([
      ["nft", 1, 2],
      ["nft", 2, 2],
      ["nft", 3, 1],
    ]);
    expect(rows.map((r) => r.meanDistance)).toEqual(f.nftAnalysis.tma!.roundMeanDistance);
    expect(roundsSpec({ arrangements: [both.arrangements[1]!], runs: [] })).toBeUndefined();
  });

  it("projection: every point of every arrangement; colour by round only when all have rounds", () => {
    const spec = projectionSpec(both) as unknown as Row;
    const rows = rowsOf(spec);
    const n = f.nftAnalysis.projection.points.length + f.fftAnalysis.projection.points.length;
    expect(rows).toHaveLength(n);
    expect(rows.filter((r) => r.set === "test")).toHaveLength(6);
    // fft has no rounds: both panels colour by training position.
    const train = rows.filter((r) => r.set === "train");
    expect(train.every((r) => r.order === r.position)).toBe(true);
    // Panels keep the order the analyses were given in (not alphabetical).
    expect(String(((spec.facet as Row).sort as string[])[0])).toMatch(/^nft /);
    const layer = ((spec.spec as Row).layer as Row[])[0]!;
    expect(((layer.encoding as Row).color as Row).title).toBe("training position");
    const nftOnly = projectionSpec({ arrangements: [both.arrangements[0]!], runs: [] }) as unknown as Row;
    const byRound = rowsOf(nftOnly).filter((r) => r.set === "train");
    expect(byRound.map((r) => r.order)).toEqual([1, 1, 2, 2, 3]);
  });

  it("coverage: each test row's nearest similarity with the threshold", () => {
    const rows = rowsOf(coverageSpec(both));
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.series === "nft").map((r) => r.similarity)).toEqual(
      f.nftAnalysis.coverage.rows.map((r) => r.nearest[0]!.similarity),
    );
    expect(rows.every((r) => r.threshold === 0.95)).toBe(true);
  });

  it("SVG gradient and clip ids are numbered from 0 within each chart", () => {
    const svg =
      '<g id="clip7"><p fill="url(#gradient_12)" clip-path="url(#clip7)"/><l id="gradient_12"/><l id="gradient_3"/></g>';
    expect(renumberSvgIds(svg)).toBe(
      '<g id="clip0"><p fill="url(#gradient_0)" clip-path="url(#clip0)"/><l id="gradient_0"/><l id="gradient_1"/></g>',
    );
  });

  it("task curves: one panel per test task with that task's curve of the chosen measure, per arrangement", () => {
    const opts = { taskMeasure: "cos-avg" as const, maxTaskPanels: 12 };
    const spec = taskCurvesSpec(both, opts) as unknown as Row;
    const rows = rowsOf(spec);
    const tasks = Object.keys(f.nftAnalysis.curves.perTask);
    expect(tasks.sort()).toEqual(["t<b>&c", "tA"]);
    const n = f.nftAnalysis.checkpoints.steps.length;
    expect(rows).toHaveLength(2 * tasks.length * n);
    for (const [label, a] of [
      ["nft", f.nftAnalysis],
      ["fft", f.fftAnalysis],
    ] as const)
      for (const task of tasks) {
        const rowsOfTask = a.coverage.perTask[task]!.rows;
        const mine = rows.filter(
          (r) =>
            r.series === label &&
            r.panel === `${task} (${rowsOfTask} test row${rowsOfTask === 1 ? "" : "s"})`,
        );
        expect(mine.map((r) => r.step)).toEqual(a.checkpoints.steps);
        expect(mine.map((r) => r.value)).toEqual(a.curves.perTask[task]!["cos-avg"]);
      }
    const enc = (spec.spec as Row).encoding as Record<string, Row>;
    expect(enc.color!.field).toBe("series");
    expect(enc.y!.title).toBe("cos-avg");
    // Another measure draws that measure's values.
    const euc = rowsOf(taskCurvesSpec(both, { ...opts, taskMeasure: "euc-min" }));
    expect(
      euc.filter((r) => r.series === "nft" && String(r.panel).startsWith("tA ")).map((r) => r.value),
    ).toEqual(f.nftAnalysis.curves.perTask.tA!["euc-min"]);
    // Capped: the task with the most test rows (tA: 2, t<b>&c: 1) is kept; 0 panels = no chart.
    expect(taskPanels(both.arrangements, 1)).toEqual({ tasks: ["tA"], rows: { tA: 2 }, total: 2 });
    const capped = rowsOf(taskCurvesSpec(both, { ...opts, maxTaskPanels: 1 }));
    expect(new Set(capped.map((r) => r.panel))).toEqual(new Set(["tA (2 test rows)"]));
    expect(taskCurvesSpec(both, { ...opts, maxTaskPanels: 0 })).toBeUndefined();
    const charts = reportCharts(both, { maxTaskPanels: 1 });
    expect(charts.find((c) => c.name === "task-curves")!.caption).toMatch(
      /1 of 2 test tasks shown.*--max-task-panels 2/,
    );
    expect(reportCharts(both).find((c) => c.name === "task-curves")!.caption).toMatch(/all 2 test tasks/);
  });

  it("task curves of long runs keep at most MAX_TASK_CURVE_POINTS checkpoints per curve, the last included", () => {
    const n = 2 * MAX_TASK_CURVE_POINTS + 5;
    const a = f.nftAnalysis;
    const curve = (k: number) => Array.from({ length: n }, (_, i) => k + i / n);
    const long = {
      ...a,
      checkpoints: {
        ...a.checkpoints,
        steps: Array.from({ length: n }, (_, i) => i + 1),
        examples: Array.from({ length: n }, (_, i) => i + 1),
      },
      curves: {
        ...a.curves,
        perTask: Object.fromEntries(
          Object.keys(a.curves.perTask).map((t, k) => [t, { ...a.curves.perTask[t]!, "cos-avg": curve(k) }]),
        ),
      },
    };
    const data = { arrangements: [{ label: "long", path: "x", analysis: long }], runs: [] };
    expect(taskCurveStride(n)).toBe(3);
    const rows = rowsOf(taskCurvesSpec(data, { taskMeasure: "cos-avg", maxTaskPanels: 12 }));
    const tA = rows.filter((r) => String(r.panel).startsWith("tA "));
    expect(tA.length).toBeLessThanOrEqual(MAX_TASK_CURVE_POINTS);
    expect(tA.map((r) => r.step)).toEqual([...long.checkpoints.steps.filter((_, i) => i % 3 === 0), n]);
    const k = Object.keys(a.curves.perTask).indexOf("tA");
    expect(tA.map((r) => r.value)).toEqual(tA.map((r) => curve(k)[(r.step as number) - 1]));
    expect(reportCharts(data).find((c) => c.name === "task-curves")!.caption).toMatch(
      /One checkpoint in 3 \(and the last\)/,
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
      "task-curves",
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
      "task-curves",
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
