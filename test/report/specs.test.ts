import { Resvg } from "@resvg/resvg-js";
import { beforeAll, describe, expect, it } from "vitest";
import { CURVE_NAMES } from "../../src/analyze/types.js";
import { renumberSvgIds, toVega, vegaToSvg } from "../../src/report/render.js";
import {
  coverageSpec,
  curvesSpec,
  projectionSpec,
  reportCharts,
  roundsSpec,
  seriesDomain,
  wsdSpec,
} from "../../src/report/specs.js";
import type { ReportData } from "../../src/report/types.js";
import { tempDir } from "../helpers/tmp.js";
import { type ReportFixture, reportFixture } from "./helpers.js";

type Row = Record<string, unknown>;
const rowsOf = (spec: unknown): Row[] => (spec as { data: { values: Row[] } }).data.values;

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

  it("one chart per figure, each compiling to Vega and drawing a parseable SVG with marks", async () => {
    const charts = reportCharts(withRun);
    expect(charts.map((c) => c.name)).toEqual(["curves", "wsd", "rounds", "projection", "coverage"]);
    expect(reportCharts({ arrangements: [both.arrangements[1]!], runs: [] }).map((c) => c.name)).toEqual([
      "curves",
      "wsd",
      "projection",
      "coverage",
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
