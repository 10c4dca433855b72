import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Analysis } from "../../src/analyze/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import { analyze } from "../../src/pipeline/analyze.js";
import {
  analysisCharts,
  batchTasksSpec,
  compositionSpec,
  coverageSpec,
  curvesSpec,
  LOWER_BETTER,
  LOWER_MORE_SIMILAR,
  projectionSpec,
  roundsSpec,
  taskCurvesSpec,
  taskGroupOf,
  taskPanels,
  trainingSets,
  windowCurvesSpec,
  wsdSpec,
} from "../../src/report/charts/index.js";
import { chartCsv } from "../../src/report/images.js";
import type { ReportData } from "../../src/report/types.js";
import { tempDir } from "../helpers/tmp.js";
import { type ReportFixture, reportFixture, TEST, TRAIN } from "./helpers.js";

type Row = Record<string, unknown>;
const rowsOf = (spec: unknown): Row[] => (spec as { data: { values: Row[] } }).data.values;
const panelsOf = (spec: unknown): Row[] => (spec as { concat: Row[] }).concat;
const titleOf = (panel: Row) => (panel.title as Row).text;

let f: ReportFixture;
let both: Pick<ReportData, "arrangements" | "runs">;
let withRun: Pick<ReportData, "arrangements" | "runs">;

beforeAll(async () => {
  f = await reportFixture(await tempDir());
  both = {
    arrangements: [
      { label: "nft", path: f.nft, analysis: f.nftAnalysis },
      { label: "fft", path: f.fft, analysis: f.fftAnalysis },
    ],
    runs: [],
  };
  withRun = { ...both, runs: [{ label: "nft", path: f.runDir, curves: f.curves }] };
});

const cos = (a: number[], b: number[]) => {
  const dot = a[0]! * b[0]! + a[1]! * b[1]!;
  return dot / (Math.hypot(a[0]!, a[1]!) * Math.hypot(b[0]!, b[1]!));
};
const testRows = () =>
  Object.keys(TEST)
    .sort()
    .flatMap((t) => TEST[t]!);

describe("analysis: per-interval measures, task mix, round starts, neighbours' tasks", () => {
  it("window curves are each checkpoint interval on its own, computed from the embeddings", () => {
    const a = f.nftAnalysis;
    expect(a.checkpoints.examples).toEqual([2, 4, 5]);
    const w = a.curves.window!;
    const test = testRows();
    let start = 0;
    a.checkpoints.examples.forEach((end, i) => {
      const rows = TRAIN.slice(start, end);
      const d = rows.flatMap((r) => test.map((t) => -cos(r.v, t.v)));
      expect(w.overall["cos-avg"][i]).toBeCloseTo(d.reduce((s, x) => s + x, 0) / d.length, 5);
      expect(w.overall["cos-min"][i]).toBeCloseTo(Math.min(...d), 5);
      expect(w.overall["cos-max"][i]).toBeCloseTo(Math.max(...d), 5);
      start = end;
    });
    // The first interval is the first prefix; later ones differ from the prefix.
    expect(w.overall["cos-avg"][0]).toBeCloseTo(a.curves.overall["cos-avg"][0]!, 6);
    expect(w.overall["cos-avg"][2]).not.toBeCloseTo(a.curves.overall["cos-avg"][2]!, 3);
    // The prefix WSD is the running mean of the interval means, weighted by rows.
    const wsd = a.curves.wsd!;
    expect(wsd[1]).toBeCloseTo((2 * w.wsd[0]! + 2 * w.wsd[1]!) / 4, 5);
  });

  it("records the task mix of every interval, distinct tasks per batch, round starts and neighbours' tasks", () => {
    const a = f.nftAnalysis;
    const c = a.composition!;
    const names = (i: number) => {
      const out: Record<string, number> = {};
      const counts = c.counts[i]!;
      for (let q = 0; q < counts.length; q += 2) out[c.tasks[counts[q]!]!] = counts[q + 1]!;
      return out;
    };
    expect(names(0)).toEqual({ alpha_one: 1, beta_one: 1 });
    expect(names(1)).toEqual({ alpha_two: 1, beta_one: 1 });
    expect(names(2)).toEqual({ gamma_one: 1 });
    // Batch size 1: one task per batch.
    expect(c.distinctPerBatch).toEqual([1, 1, 1]);
    // Rounds 1,1,2,2,3 start at rows 0, 2, 4 (steps 1, 3, 5 with one row per step).
    expect(a.tma!.starts).toEqual([
      { position: 0, step: 1, round: 1 },
      { position: 2, step: 3, round: 2 },
      { position: 4, step: 5, round: 3 },
    ]);
    for (const r of a.coverage.rows) for (const n of r.nearest) expect(n.task).toBe(TRAIN[n.train]!.task);
    // One content hash for the same rows in two orders, another for other rows.
    expect(a.inputs.train.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(f.fftAnalysis.inputs.train.contentHash).toBe(a.inputs.train.contentHash);
  });

  it("takes the training tasks from arrange's metadata (one arranged file has lost its task files)", async () => {
    const meta = join(f.dir, "fft.rank.meta.jsonl");
    const tasks = ["T0", "T1", "T0", "T1", "T2"];
    await writeFile(
      meta,
      tasks.map((task, position) => `${JSON.stringify({ position, task, value: 0 })}\n`).join(""),
    );
    const a = await analyze({
      train: join(f.dir, "fft.jsonl"),
      trainEmbeddings: join(f.dir, "fft.npy"),
      test: join(f.dir, "test"),
      testEmbeddings: join(f.dir, "test.npy"),
      batchSize: 1,
      saveSteps: 2,
      engine: "ts",
      metadata: meta,
    });
    expect(a.tma).toBeUndefined();
    expect(a.composition!.tasks).toEqual(["T0", "T1", "T2"]);
    expect(a.composition!.counts[2]).toEqual([2, 1]);
    for (const r of a.coverage.rows) for (const n of r.nearest) expect(n.task).toBe(tasks[n.train]);
  });
});

describe("arrangement charts", () => {
  it("curves: one panel per measure (and wsd) with every value, direction in the y title, one step axis", () => {
    const spec = curvesSpec(withRun) as unknown as Row;
    const panels = panelsOf(spec);
    const names = panels.map((p) => ((p.layer as Row[])[0]!.transform as Row[])[0]!.filter as Row);
    expect(names.map((n) => n.equal)).toEqual([
      "test loss",
      "train loss",
      "cos-min",
      "cos-max",
      "cos-avg",
      "cos-centroid",
      "euc-min",
      "euc-max",
      "euc-avg",
      "euc-centroid",
      "kl-bigram",
      "wsd",
    ]);
    for (const p of panels) {
      const y = ((p.layer as Row[])[0]!.encoding as Record<string, Row>).y!;
      expect([LOWER_BETTER, LOWER_MORE_SIMILAR]).toContain(y.title);
    }
    const rows = rowsOf(spec);
    for (const [label, a] of [
      ["nft", f.nftAnalysis],
      ["fft", f.fftAnalysis],
    ] as const) {
      const mine = rows.filter((r) => r.series === label && r.panel === "cos-avg");
      expect(mine.map((r) => r.value)).toEqual(a.curves.overall["cos-avg"]);
      expect(mine.map((r) => r.step)).toEqual(a.checkpoints.steps);
      expect(rows.filter((r) => r.series === label && r.panel === "wsd").map((r) => r.value)).toEqual(
        a.curves.wsd,
      );
    }
    const test = rows.filter((r) => r.panel === "test loss");
    expect(test.map((r) => [r.step, r.value])).toEqual(f.curves.points.map((p) => [p.step, p.test.loss]));
    expect(rows.filter((r) => r.panel === "train loss").map((r) => r.step)).toEqual([2, 4, 5]);
    // Every panel shares one step scale with a domain fitted to the data; TMA round starts are rules.
    expect((spec.resolve as Row).scale).toMatchObject({ x: "shared", y: "independent" });
    const x = ((panels[0]!.layer as Row[])[0]!.encoding as Record<string, Row>).x!;
    expect((x.scale as Row).domain).toEqual([0, 5]);
    const rules = rows.filter((r) => r.kind === "round start");
    expect(rules.map((r) => [r.series, r.step, r.round])).toEqual([
      ["nft", 3, 2],
      ["nft", 5, 3],
    ]);
    expect((panels[2]!.layer as Row[])[1]!.mark).toMatchObject({ type: "rule" });
  });

  it("--max-steps crops every step chart; a log axis leaves step 0 out; --measures picks panels", () => {
    const cut = rowsOf(curvesSpec(withRun, { maxSteps: 4 }));
    expect(Math.max(...cut.map((r) => r.step as number))).toBe(4);
    expect(cut.filter((r) => r.kind === "round start").map((r) => r.step)).toEqual([3]);
    const log = curvesSpec(withRun, { logSteps: true }) as unknown as Row;
    expect(rowsOf(log).some((r) => r.step === 0)).toBe(false);
    const x = ((panelsOf(log)[0]!.layer as Row[])[0]!.encoding as Record<string, Row>).x!;
    expect((x.scale as Row).type).toBe("log");
    expect(x.title).toContain("log");
    const some = panelsOf(curvesSpec(both, { measures: ["cos-avg", "kl-bigram"] }));
    expect(some.map(titleOf)).toEqual(["cos-avg: mean cosine distance", "kl-bigram: bigram KL divergence"]);
    for (const spec of [windowCurvesSpec(both, { maxSteps: 2 }), compositionSpec(both, { maxSteps: 2 })])
      expect(Math.max(...rowsOf(spec).map((r) => r.step as number))).toBe(2);
  });

  it("window curves draw the per-interval values", () => {
    const rows = rowsOf(windowCurvesSpec(both));
    expect(rows.filter((r) => r.series === "fft" && r.panel === "kl-bigram").map((r) => r.value)).toEqual(
      f.fftAnalysis.curves.window!.overall["kl-bigram"],
    );
    const old = { ...f.nftAnalysis, curves: { ...f.nftAnalysis.curves, window: undefined } } as Analysis;
    expect(
      windowCurvesSpec({ arrangements: [{ label: "old", path: "x", analysis: old }], runs: [] }),
    ).toBeUndefined();
  });

  it("task mix: stacked shares of each interval by task, grouped by --task-group; distinct tasks per batch", () => {
    const spec = compositionSpec(both) as unknown as Row;
    const rows = rowsOf(spec).filter((r) => r.kind === "share");
    const at = (series: string, step: number) =>
      Object.fromEntries(
        rows.filter((r) => r.series === series && r.step === step).map((r) => [r.group, r.share]),
      );
    expect(at("nft", 2)).toEqual({ beta_one: 0.5, alpha_one: 0.5, alpha_two: 0, gamma_one: 0 });
    expect(at("nft", 5)).toEqual({ beta_one: 0, alpha_one: 0, alpha_two: 0, gamma_one: 1 });
    // fft is the reverse order: its first interval is gamma_one and beta_one.
    expect(at("fft", 2)).toMatchObject({ gamma_one: 0.5, beta_one: 0.5 });
    expect(panelsOf(spec).map(titleOf)).toEqual(["nft", "fft"]);
    const grouped = rowsOf(compositionSpec(both, { taskGroup: /^([a-z]+)_/ })).filter(
      (r) => r.kind === "share",
    );
    expect(
      Object.fromEntries(
        grouped.filter((r) => r.series === "nft" && r.step === 4).map((r) => [r.group, r.share]),
      ),
    ).toEqual({ alpha: 0.5, beta: 0.5, gamma: 0 });
    expect(taskGroupOf(/^([a-z]+)_/)("alpha_two")).toBe("alpha");
    expect(taskGroupOf(/^zzz/)("alpha_two")).toBe("alpha_two");
    const batch = rowsOf(batchTasksSpec(both)).filter((r) => r.kind === "curve");
    expect(batch.filter((r) => r.series === "nft").map((r) => r.value)).toEqual([1, 1, 1]);
  });

  it("per-task curves grouped by --task-group combine min, max and row-weighted mean exactly; others refused", () => {
    const group = /^(t)/;
    expect(taskPanels(both.arrangements, 12, taskGroupOf(group))).toMatchObject({
      tasks: ["t"],
      rows: { t: 3 },
    });
    const a = f.nftAnalysis;
    const avg = rowsOf(taskCurvesSpec(both, { taskGroup: group, taskMeasure: "cos-avg" })).filter(
      (r) => r.series === "nft" && r.kind === "curve",
    );
    // Both test tasks together are the whole test set.
    for (const [i, r] of avg.entries())
      expect(r.value as number).toBeCloseTo(a.curves.overall["cos-avg"][i]!, 5);
    const min = rowsOf(taskCurvesSpec(both, { taskGroup: group, taskMeasure: "euc-min" })).filter(
      (r) => r.series === "nft" && r.kind === "curve",
    );
    for (const [i, r] of min.entries())
      expect(r.value as number).toBeCloseTo(a.curves.overall["euc-min"][i]!, 5);
    expect(() => taskCurvesSpec(both, { taskGroup: group, taskMeasure: "kl-bigram" })).toThrow(ArrangeError);
    // Without a group: one panel per task, long names cut to the panel width (never widening the chart).
    const spec = taskCurvesSpec(both) as unknown as Row;
    for (const p of panelsOf(spec))
      expect((p.title as Row).limit).toBeLessThanOrEqual((p.width as number) + 40);
  });

  it("order-independent charts are drawn once per training set", () => {
    expect(trainingSets(both.arrangements).map((s) => s.label)).toEqual(["training set of nft, fft"]);
    const wsd = rowsOf(wsdSpec(both));
    expect(wsd).toHaveLength(f.nftAnalysis.wsd.histogram.bins);
    expect(wsd.reduce((s, r) => s + (r.count as number), 0)).toBe(f.nftAnalysis.inputs.train.rows);
    expect(rowsOf(coverageSpec(both))).toHaveLength(f.nftAnalysis.coverage.rows.length);
    expect(rowsOf(projectionSpec(both))).toHaveLength(f.nftAnalysis.projection.points.length);
    expect(rowsOf(roundsSpec(both)).map((r) => [r.round, r.size])).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
    // Another training set (other rows) gets its own panel.
    const other = {
      ...f.fftAnalysis,
      inputs: {
        ...f.fftAnalysis.inputs,
        train: { ...f.fftAnalysis.inputs.train, contentHash: "0".repeat(64) },
      },
    };
    const two = {
      arrangements: [both.arrangements[0]!, { label: "other", path: "o", analysis: other }],
      runs: [],
    };
    expect(trainingSets(two.arrangements).map((s) => s.label)).toEqual(["nft", "other"]);
    expect(rowsOf(wsdSpec(two))).toHaveLength(2 * f.nftAnalysis.wsd.histogram.bins);
    const caption = analysisCharts(both).find((c) => c.name === "wsd")!.caption;
    expect(caption).toContain("once per training set");
  });

  it("coverage: axis fitted to the similarities; the threshold is drawn only near them, and the page says so", () => {
    const spec = coverageSpec(both) as unknown as Row;
    const layer = ((spec.spec as Row).layer as Row[])[0]!;
    const extent = (((layer.encoding as Row).x as Row).bin as Row).extent as number[];
    const sims = f.nftAnalysis.coverage.rows.map((r) => r.nearest[0]!.similarity);
    expect(extent[0]).toBe(Math.min(...sims));
    expect(extent[1]).toBeGreaterThanOrEqual(Math.max(...sims));
    expect(extent).not.toEqual([-1, 1]);
    const far = {
      ...f.nftAnalysis,
      coverage: {
        ...f.nftAnalysis.coverage,
        rows: f.nftAnalysis.coverage.rows.map((r) => ({
          ...r,
          nearest: r.nearest.map((n) => ({ ...n, similarity: 0.2 + n.similarity / 100 })),
        })),
      },
    };
    const data = { arrangements: [{ label: "far", path: "x", analysis: far }], runs: [] };
    expect((coverageSpec(data) as unknown as { spec: { layer: unknown[] } }).spec.layer.length).toBe(1);
    const caption = analysisCharts(data).find((c) => c.name === "coverage")!.caption;
    expect(caption).toMatch(/lies beyond every value/);
    expect(caption).toMatch(/depends on the embedder/);
  });

  it("a chart's CSV holds exactly the rows it plots", () => {
    const spec = compositionSpec(both)!;
    const csv = chartCsv(spec)!;
    const lines = csv.trimEnd().split("\n");
    const values = rowsOf(spec);
    expect(lines).toHaveLength(values.length + 1);
    expect(lines[0]).toBe("kind,series,group,order,step,rows,share,round,position");
    expect(lines[1]).toBe(
      [
        "share",
        values[0]!.series,
        values[0]!.group,
        values[0]!.order,
        values[0]!.step,
        values[0]!.rows,
        values[0]!.share,
        "",
        "",
      ].join(","),
    );
    expect(chartCsv({ data: { values: [{ a: 'x,"y"', b: 1 }] } })).toBe('a,b\n"x,""y""",1\n');
  });
});
