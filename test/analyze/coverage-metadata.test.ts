import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { writeNpy } from "../../src/data/npy.js";
import { analyze } from "../../src/pipeline/analyze.js";
import { tempDir } from "../helpers/tmp.js";
import { TEST_VECS, TRAIN_VECS, writeTinyCase } from "./helpers.js";

const cosDist = (a: number[], b: number[]) =>
  -(a[0]! * b[0]! + a[1]! * b[1]!) / (Math.hypot(a[0]!, a[1]!) * Math.hypot(b[0]!, b[1]!));

async function setup() {
  const dir = await tempDir();
  const f = await writeTinyCase(dir);
  const base = {
    train: f.train,
    test: f.test,
    trainEmbeddings: f.trainNpy,
    testEmbeddings: f.testNpy,
    batchSize: 1,
    saveSteps: 2,
    engine: "ts" as const,
    // The tiny case shares one text between the sets on purpose (a contaminated test row).
    overlap: "keep" as const,
  };
  return { dir, f, base };
}

describe("analyze: coverage, rounds, WSD, projection, output", () => {
  it("lists each test row's k nearest training rows (ties: lowest index) and flags likely contamination", async () => {
    const { base } = await setup();
    const a = await analyze({ ...base, k: 5 });
    expect(a.coverage.k).toBe(5);
    TEST_VECS.forEach((t, j) => {
      const want = TRAIN_VECS.map((x, i) => ({ i, d: cosDist(x, t) }))
        .sort((p, q) => p.d - q.d || p.i - q.i)
        .map((p) => p.i);
      const row = a.coverage.rows[j]!;
      expect(row.nearest.map((n) => n.train)).toEqual(want);
      for (const n of row.nearest) expect(n.similarity).toBeCloseTo(-n.distance, 12);
    });
    // Training rows 1 and 4 are the same point: the tie goes to row 1.
    expect(a.coverage.rows[1]!.nearest.slice(0, 2).map((n) => n.train)).toEqual([1, 4]);
    expect(a.coverage.rows.map((r) => r.flagged)).toEqual([true, true, false]);
    expect(a.coverage.flagged).toBe(2);
    expect(a.coverage.perTask).toEqual({
      tA: { rows: 2, flagged: 2, share: 1 },
      tB: { rows: 1, flagged: 0, share: 0 },
    });
    // cos([2, 0.1], [1, 0]) ≈ 0.99875: flagged at 0.95, not at 0.999.
    const strict = await analyze({ ...base, k: 2, contamination: 0.999 });
    expect(strict.coverage.rows.map((r) => r.flagged)).toEqual([false, true, false]);
    expect(strict.coverage.rows[0]!.nearest).toHaveLength(2);
  });

  it("WSD histogram from AD and MD over the whole test set; projection holds every test row", async () => {
    const { base } = await setup();
    const a = await analyze({ ...base, wsdBins: 4 });
    const ad = TRAIN_VECS.map((x) => TEST_VECS.reduce((s, t) => s + cosDist(x, t), 0) / TEST_VECS.length);
    const md = TRAIN_VECS.map((x) => Math.min(...TEST_VECS.map((t) => cosDist(x, t))));
    const w = ad.reduce((s, v) => s + v, 0) / md.reduce((s, v) => s + v, 0);
    expect(a.wsd.weight).toBeCloseTo(w, 5);
    const wsd = ad.map((v, i) => v + w * md[i]!);
    expect(a.wsd.histogram.min).toBeCloseTo(Math.min(...wsd), 5);
    expect(a.wsd.histogram.max).toBeCloseTo(Math.max(...wsd), 5);
    expect(a.wsd.histogram.counts.reduce((s, c) => s + c, 0)).toBe(5);
    expect(a.projection.points.filter((p) => p.set === "test")).toHaveLength(3);
    expect(a.projection.points.filter((p) => p.set === "train").map((p) => p.position)).toEqual([
      0, 1, 2, 3, 4,
    ]);
    const few = await analyze({ ...base, projectionSample: 2 });
    expect(few.projection.points.filter((p) => p.set === "train").map((p) => p.position)).toEqual([0, 2]);
    // 2-D input: the projection keeps all the variance.
    expect(a.projection.explainedVariance[0] + a.projection.explainedVariance[1]).toBeCloseTo(1, 4);
  });

  it("metadata gives round sizes and per-round mean distance; projection points carry rounds", async () => {
    const { dir, base } = await setup();
    const meta = join(dir, "meta.jsonl");
    const rounds = [1, 1, 2, 2, 3];
    const values = [-0.9, -0.7, -0.5, -0.4, -0.1];
    await writeFile(
      meta,
      rounds.map((r, i) => `${JSON.stringify({ position: i, round: r, value: values[i] })}\n`).join(""),
    );
    const a = await analyze({ ...base, metadata: meta });
    expect(a.tma?.rounds).toEqual([1, 2, 3]);
    expect(a.tma?.roundSizes).toEqual([2, 2, 1]);
    const means = a.tma?.roundMeanDistance ?? [];
    for (const [i, v] of [-0.8, -0.45, -0.1].entries()) expect(means[i]).toBeCloseTo(v, 12);
    expect(a.projection.points.filter((p) => p.set === "train").map((p) => p.round)).toEqual(rounds);
    const none = await analyze(base);
    expect(none.tma).toBeUndefined();
  });

  it("reruns write byte-identical files apart from timings, atomically", async () => {
    const { dir, base } = await setup();
    const out1 = join(dir, "out", "a1.json");
    const out2 = join(dir, "out", "a2.json");
    await analyze({ ...base, out: out1 });
    await analyze({ ...base, out: out2 });
    const strip = (s: string) => s.replace(/"timings":\{[^}]*\}/, "");
    const [t1, t2] = [await readFile(out1, "utf8"), await readFile(out2, "utf8")];
    expect(strip(t1)).toBe(strip(t2));
    expect(t1).toMatch(/"timings":\{/);
    const parsed = JSON.parse(t1) as { kind: string; curves: { overall: Record<string, number[]> } };
    expect(parsed.kind).toBe("analysis");
    for (const v of parsed.curves.overall["cos-avg"] ?? []) expect(Number(v.toPrecision(6))).toBe(v);
  });

  it("bad inputs fail naming the file, line and fix", async () => {
    const { dir, f, base } = await setup();
    const short = join(dir, "short.npy");
    await writeNpy(short, { data: new Float32Array(8), rows: 4, cols: 2 });
    const e1 = await analyze({ ...base, trainEmbeddings: short }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ArrangeError);
    expect((e1 as ArrangeError).file).toBe(short);
    expect((e1 as ArrangeError).describe()).toMatch(/4 embedding rows but 5 input rows[\s\S]*fix:/);
    const wide = join(dir, "wide.npy");
    await writeNpy(wide, { data: new Float32Array(9), rows: 3, cols: 3 });
    const e2 = await analyze({ ...base, testEmbeddings: wide }).catch((e: unknown) => e);
    expect((e2 as ArrangeError).describe()).toMatch(/2 columns but test embeddings 3/);
    const meta = join(dir, "bad.meta.jsonl");
    await writeFile(meta, '{"round":1,"value":-0.5}\n{"round":1}\n');
    const e3 = await analyze({ ...base, metadata: meta }).catch((e: unknown) => e);
    expect((e3 as ArrangeError).file).toBe(meta);
    expect((e3 as ArrangeError).line).toBe(2);
    expect((e3 as ArrangeError).fix).toMatch(/round/);
    await writeFile(meta, '{"round":1,"value":-0.5}\n');
    const e4 = await analyze({ ...base, metadata: meta }).catch((e: unknown) => e);
    expect((e4 as ArrangeError).message).toMatch(/1 metadata rows but 5 training rows/);
    const e5 = await analyze({ ...base, trainEmbeddings: undefined }).catch((e: unknown) => e);
    expect((e5 as ArrangeError).code).toBe("usage");
    expect(f.train).toBeTruthy();
  });
});
