import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { builtinSpec, type ExperimentResult, meanOverSteps } from "../../src/experiment/index.js";
import { type ExperimentOptions, runExperiment } from "../../src/pipeline/experiment.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";
import { describeTorch, TINY_TRAINING } from "../helpers/torch.js";

// Tiny versions of every built-in experiment on the bundled example: builtin:tiny, 2 steps, one seed.
const TINY = TINY_TRAINING;

async function run(
  name: Parameters<typeof builtinSpec>[0],
  extra: Partial<ExperimentOptions> = {},
): Promise<{ r: ExperimentResult; out: string }> {
  const out = join(await tempDir(), name);
  const r = await runExperiment({
    spec: builtinSpec(name),
    train: EXAMPLE_TRAIN,
    test: EXAMPLE_TEST,
    out,
    seeds: [0],
    parallel: 2,
    report: false,
    // Analyses are tested in fig3-left.test.ts; here they would only add time.
    analyze: false,
    trainOptions: TINY,
    ...extra,
  });
  return { r, out };
}

const lines = async (f: string) => (await readFile(f, "utf8")).trim().split("\n");
const sorted = (xs: string[]) => [...xs].sort();

/** Task (file name) of every training row of the bundled example, by its JSON text. */
async function taskOfRow(): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of await listDir(EXAMPLE_TRAIN))
    for (const l of await lines(join(EXAMPLE_TRAIN, f))) m.set(JSON.stringify(JSON.parse(l)), f);
  return m;
}

/** Number of runs of equal task along the rows: the number of tasks when each task's rows are together. */
function taskRuns(rows: string[], tasks: Map<string, string>): number {
  let runs = 0;
  let last: string | undefined;
  for (const r of rows) {
    const t = tasks.get(JSON.stringify(JSON.parse(r)));
    expect(t).toBeDefined();
    if (t !== last) runs++;
    last = t;
  }
  return runs;
}

/** Every run's area is its own curve's; every summary's mean is the mean of its runs. */
async function checkSummaries(r: ExperimentResult): Promise<void> {
  for (const x of r.runs) {
    const curves = JSON.parse(await readFile(join(x.runDir, "curves.json"), "utf8"));
    expect(curves.label).toBe(x.label);
    const pts = curves.points.map((p: { step: number; test: { loss: number } }) => ({
      step: p.step,
      value: p.test.loss,
    }));
    expect(x.area).toBeCloseTo(meanOverSteps(pts)!, 12);
    expect(x.rows).toBe((await lines(x.arranged)).length);
  }
  for (const s of r.summary) {
    const mine = r.runs.filter((x) => x.arm === s.label);
    expect(s.area!.mean).toBeCloseTo(mine.reduce((a, x) => a + x.area!, 0) / mine.length, 12);
  }
  const saved = JSON.parse(await readFile(join(r.runs[0]!.runDir, "..", "..", "experiment.json"), "utf8"));
  expect(saved.summary.map((s: { label: string }) => s.label)).toEqual(r.summary.map((s) => s.label));
  expect(saved.verdict).toEqual(r.verdict);
}

describeTorch("experiment built-in specs (tiny, end to end)", () => {
  it("fig2: random, round-robin and cluster schedules of the same rows", async () => {
    const { r } = await run("fig2");
    expect(r.summary.map((s) => s.label)).toEqual(["Random", "Round-robin", "Cluster"]);
    const [rnd, rr, cl] = await Promise.all(r.runs.map((x) => lines(x.arranged)));
    expect(sorted(rnd!)).toEqual(sorted(cl!));
    expect(sorted(rr!)).toEqual(sorted(cl!));
    const tasks = await taskOfRow();
    const n = new Set(tasks.values()).size;
    expect(taskRuns(cl!, tasks)).toBe(n); // each task's rows together
    expect(taskRuns(rr!, tasks)).toBeGreaterThan(rr!.length / 2); // tasks interleaved
    expect(r.verdict.comparisons).toEqual([]);
    await checkSummaries(r);
  }, 120_000);

  it("fig3-right: WSD nearest first, fine vs coarse (task rows kept together)", async () => {
    const { r } = await run("fig3-right");
    const [fine, coarse] = await Promise.all(r.runs.map((x) => lines(x.arranged)));
    expect(sorted(fine!)).toEqual(sorted(coarse!));
    const tasks = await taskOfRow();
    expect(taskRuns(coarse!, tasks)).toBe(new Set(tasks.values()).size);
    expect(taskRuns(fine!, tasks)).toBeGreaterThan(new Set(tasks.values()).size);
    expect(r.verdict.comparisons.map((c) => c.statement)).toEqual(["fine < coarse"]);
    await checkSummaries(r);
  }, 120_000);

  it("fig4: TMA NFT/RT/FFT; --parallel gives the same curves as sequential; a re-run reuses finished runs", async () => {
    const { r, out } = await run("fig4", { report: true });
    const [nft, rt, fft] = await Promise.all(r.runs.map((x) => lines(x.arranged)));
    expect(sorted(nft!)).toEqual(sorted(fft!));
    expect(sorted(rt!)).toEqual(sorted(nft!));
    expect(fft).not.toEqual(nft);
    const c = r.verdict.comparisons[0]!;
    expect(c.statement).toBe("NFT < RT < FFT");
    const means = r.summary.map((s) => s.area!.mean);
    expect(c.holdsOnMeans).toBe(means[0]! < means[1]! && means[1]! < means[2]!);
    await checkSummaries(r);
    expect((await stat(join(out, "report.html"))).size).toBeGreaterThan(100_000);

    const seq = await runExperiment({
      spec: builtinSpec("fig4"),
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      out: join(out, "..", "sequential"),
      seeds: [0],
      arms: ["NFT", "RT"],
      parallel: 1,
      report: false,
      analyze: false,
      trainOptions: TINY,
    });
    for (const [i, x] of seq.runs.entries())
      expect(await readFile(join(x.runDir, "curves.json"))).toEqual(
        await readFile(join(r.runs[i]!.runDir, "curves.json")),
      );

    // Resume: nothing is trained again; a run with its curves gone is.
    const before = (await stat(join(r.runs[0]!.runDir, "curves.json"))).mtimeMs;
    await rm(join(r.runs[1]!.runDir, "curves.json"));
    const again = await runExperiment({
      spec: builtinSpec("fig4"),
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      out,
      seeds: [0],
      parallel: 2,
      report: false,
      analyze: false,
      trainOptions: TINY,
    });
    expect(again.runs.map((x) => x.reused)).toEqual([true, false, true]);
    expect((await stat(join(r.runs[0]!.runDir, "curves.json"))).mtimeMs).toBe(before);
    expect(again.summary.map((s) => s.area)).toEqual(r.summary.map((s) => s.area));
    // Other training settings are not the same run: trained again.
    const changed = await runExperiment({
      spec: builtinSpec("fig4"),
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      out,
      seeds: [0],
      arms: ["NFT"],
      report: false,
      analyze: false,
      trainOptions: { ...TINY, lr: 5e-4 },
    });
    expect(changed.runs.map((x) => x.reused)).toEqual([false]);
  }, 180_000);

  it("fig4 --within-round shuffle: each seed shuffles the rows inside TMA rounds; rounds keep their order", async () => {
    const { r, out } = await run("fig4", { arms: ["NFT", "FFT"], withinRound: "shuffle", seeds: [0, 1] });
    expect(r.spec.arms.map((a) => a.withinRound)).toEqual(["shuffle", "shuffle"]);
    const files = r.runs.map((x) => x.arranged.slice(out.length + 1));
    expect(files).toEqual([
      "arranged/nft-seed0.jsonl",
      "arranged/fft-seed0.jsonl",
      "arranged/nft-seed1.jsonl",
      "arranged/fft-seed1.jsonl",
    ]);
    const [nft0, fft0, nft1] = await Promise.all(r.runs.slice(0, 3).map((x) => lines(x.arranged)));
    const { r: plain } = await run("fig4", { arms: ["NFT"], withinRound: "index" });
    const byIndex = await lines(plain.runs[0]!.arranged);
    expect(sorted(nft0!)).toEqual(sorted(byIndex));
    expect(sorted(fft0!)).toEqual(sorted(byIndex));
    expect(nft0).not.toEqual(byIndex);
    expect(nft1).not.toEqual(nft0);
    const manifest = JSON.parse(await readFile(join(out, "arranged", "nft-seed0.manifest.json"), "utf8"));
    expect(manifest.options.withinRound).toBe("shuffle");
    await expect(run("fig3-left", { withinRound: "shuffle" })).rejects.toThrow(/no TMA arm/);
  }, 180_000);

  it("fig5: TMA round groups, each group's rows from its own rounds, as many rows per group", async () => {
    const { r, out } = await run("fig5");
    expect(r.roundGroups).toBe(3);
    const base = await lines(join(out, "arranged", "tma-rounds.jsonl"));
    const groups = await Promise.all(r.runs.map((x) => lines(x.arranged)));
    expect(new Set(groups.map((g) => g.length)).size).toBe(1);
    // Position of each group row in the base arrangement (rows may repeat: take occurrences in turn).
    const where = new Map<string, number[]>();
    for (const [q, row] of base.entries()) where.set(row, [...(where.get(row) ?? []), q]);
    const pos = groups.map((g) => g.map((row) => where.get(row)?.shift() ?? -1));
    for (const p of pos) {
      expect(p.every((q) => q >= 0)).toBe(true);
      expect([...p].sort((a, b) => a - b)).toEqual(p); // kept in TMA order
    }
    // Groups are disjoint and in round order: G1's rows come before G2's, G2's before G3's.
    expect(Math.max(...pos[0]!)).toBeLessThan(Math.min(...pos[1]!));
    expect(Math.max(...pos[1]!)).toBeLessThan(Math.min(...pos[2]!));
    await checkSummaries(r);
  }, 120_000);

  it("fig5 --round-range: the groups are cut from those rounds only (rounds 1, 2 and 3 here)", async () => {
    const messages: string[] = [];
    const { r, out } = await run("fig5", {
      roundRange: { from: 1, to: 3 },
      // 2 steps of 48 rows: more than the bundled example's rounds 1–3 hold (81, 84 and 87 rows).
      trainOptions: { ...TINY, batchSize: 48 },
      onProgress: (e) => {
        if (e.message !== undefined) messages.push(e.message);
      },
    });
    expect(r.roundRange).toEqual({ from: 1, to: 3 });
    const manifest = JSON.parse(await readFile(join(out, "arranged", "tma-rounds.manifest.json"), "utf8"));
    const sizes: number[] = manifest.tma.roundSizes;
    const base = await lines(join(out, "arranged", "tma-rounds.jsonl"));
    const smallest = Math.min(...sizes.slice(0, 3));
    for (const [g, x] of r.runs.entries()) {
      const start = sizes.slice(0, g).reduce((a, b) => a + b, 0);
      // Round g+1's first rows in TMA order, as many as the smallest of the three rounds holds.
      expect(await lines(x.arranged)).toEqual(base.slice(start, start + smallest));
    }
    // A run reads 2 steps × 48 rows: a group of fewer rows is warned about, naming the rows and the fix.
    expect(smallest).toBeLessThan(96);
    expect(messages.filter((m) => m.startsWith("warning:"))).toEqual([
      expect.stringMatching(
        new RegExp(`holds ${smallest} rows, fewer than the 96 a run reads .*--round-range 1-30`),
      ),
    ]);
    await expect(run("fig5", { roundRange: { from: 2, to: 3 } })).rejects.toThrow(
      /--round-range 2-3 leaves 2 of the TMA arrangement's \d+ rounds for 3 round groups/,
    );
  }, 120_000);

  it("fig14: a budget M from the TMA rounds: NFT/RT/FFT = first and last M/2, MIN = first M, MAX = last M", async () => {
    // Index order inside rounds (the authors'), so positions of the selections can be compared.
    const { r } = await run("fig14", { budget: 100, withinRound: "index" });
    expect(r.budget).toBe(100);
    const [nft, rt, fft, min, max] = await Promise.all(r.runs.map((x) => lines(x.arranged)));
    for (const rows of [nft, rt, fft, min, max]) expect(rows!.length).toBe(100);
    expect(sorted(rt!)).toEqual(sorted(nft!));
    expect(sorted(fft!)).toEqual(sorted(nft!));
    expect(nft!.slice(0, 50)).toEqual(min!.slice(0, 50));
    const maxSet = new Set(max);
    expect(nft!.slice(50).every((row) => maxSet.has(row))).toBe(true);
    expect(min!.some((row) => maxSet.has(row))).toBe(false);
    expect(r.verdict.comparisons.map((c) => `${c.statement} ${c.metric}`)).toEqual([
      "NFT < RT < FFT area",
      "MIN < MAX area",
      "FFT < MAX finalLoss",
    ]);
    await checkSummaries(r);
  }, 120_000);
});
