import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exactMatch } from "../../src/evaluate/exact-match.js";
import {
  computeThreshold,
  type OnlyIfSummary,
  scoreRunGenerations,
  subsetLoss,
} from "../../src/experiment/index.js";
import { onlyIfThreshold } from "../../src/pipeline/onlyif-threshold.js";
import { generateRewrite, REWRITE_DEFAULTS, type RewriteOptions } from "../../src/synth/rewrite.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { describeTorch, TORCH_PYTHON } from "../helpers/torch.js";

const base: RewriteOptions = {
  ...REWRITE_DEFAULTS,
  alphabet: 5,
  stringLength: [6, 9],
  patternLength: [2, 3],
  domains: ["unconstrained"],
  testDomains: ["unconstrained"],
  rules: 8,
  budget: 64,
  testRules: 6,
  testPerRule: 3,
  seed: 4,
};

describe("synth rewrite: test rules first, seen-rule examples, compact instruction", () => {
  it("gives the same test set for every number of rules and budget, never sharing a pattern with training", () => {
    const sets = [4, 16, 64].map((rules) =>
      generateRewrite({ ...base, rules, budget: 128 + rules, testFirst: true, seenTest: 10 }),
    );
    for (const s of sets) {
      expect(s.test).toEqual(sets[0]!.test);
      const trainPatterns = new Set(s.trainRules.map((r) => r.x));
      for (const r of s.testRules) expect(trainPatterns.has(r.x)).toBe(false);
      // The seen test set: fresh examples of training rule k mod I.
      expect(s.seenTest).toHaveLength(10);
      for (const e of s.seenTest) expect(s.trainRules[e.rule]).toMatchObject({ x: e.x, y: e.y });
    }
    // Without testFirst the test rules depend on the training rules drawn before them.
    const a = generateRewrite({ ...base, rules: 4 });
    const b = generateRewrite({ ...base, rules: 16 });
    expect(a.seenTest).toEqual([]);
    expect(a.test).not.toEqual(b.test);
  });
});

describe("onlyif threshold and scoring", () => {
  const row = (rules: number, unseen: number | null): OnlyIfSummary => ({
    rules,
    runs: 1,
    unseen: unseen === null ? null : { mean: unseen, std: 0 },
    unseenApply: null,
    unseenNoop: null,
    seen: null,
    loss: { unseen: null, seen: null, gap: null },
  });

  it("finds the smallest I above half the best and the largest consecutive jump", () => {
    const t = computeThreshold(
      [row(64, 0.3), row(4, 0.1), row(16, 0.12), row(256, 0.8), row(1024, 0.78)],
      "unseen",
    );
    expect(t.best).toEqual({ rules: 256, accuracy: 0.8 });
    expect(t.rules).toBe(256);
    expect(t.jumps.map((j) => [j.from, j.to])).toEqual([
      [4, 16],
      [16, 64],
      [64, 256],
      [256, 1024],
    ]);
    expect(t.largestJump?.from).toBe(64);
    expect(t.largestJump?.delta).toBeCloseTo(0.5, 12);
    expect(t.largestJump?.shareOfRise).toBeCloseTo(0.5 / 0.7, 12);
    expect(t.description).toMatch(/I=256/);
    expect(t.caution).toBeNull();
    const low = computeThreshold([row(4, 0.01), row(16, 0.03)], "unseen");
    expect(low.rules).toBe(16);
    expect(low.caution).toMatch(/under 10\.0%/);
    expect(low.description).toMatch(/CAUTION/);
    const zero = computeThreshold([row(4, 0), row(16, 0)], "unseen");
    expect(zero.rules).toBeNull();
    expect(zero.description).toMatch(/0 for every I/);
    expect(computeThreshold([row(4, null)], "unseenApply").best).toBeNull();
  });

  it("scores generations per step and subset with exact match", async () => {
    const dir = await tempDir();
    const path = join(dir, "generations.jsonl");
    const g = (step: number, task: string, reference: string, prediction: string) =>
      JSON.stringify({ step, index: 0, task, reference, prediction });
    await writeFile(
      path,
      `${[
        g(5, "unseen/apply", "abab", "abab"),
        g(5, "unseen/apply", "abab", "abba"),
        g(5, "unseen/noop", "ccd", "ccd"),
        g(5, "seen/apply", "dd", "d"),
        g(1, "unseen/noop", "ccd", "x"),
      ].join("\n")}\n`,
    );
    const s = await scoreRunGenerations(path);
    expect(s.map((x) => x.step)).toEqual([1, 5]);
    expect(s[1]!.unseen).toEqual({ correct: 2, examples: 3, accuracy: 2 / 3 });
    expect(s[1]!.unseenApply).toEqual({ correct: 1, examples: 2, accuracy: 0.5 });
    expect(s[1]!.unseenNoop.accuracy).toBe(1);
    expect(s[1]!.seen.accuracy).toBe(0);
    expect(s[0]!.seen).toEqual({ correct: 0, examples: 0, accuracy: null });
  });

  it("weights per-task test losses by their example counts into subset losses and the gap", () => {
    const counts = new Map([
      ["unseen/apply", 3],
      ["unseen/noop", 1],
      ["seen/apply", 2],
      ["seen/noop", 2],
    ]);
    const l = subsetLoss(
      40,
      { "unseen/apply": 1.0, "unseen/noop": 2.0, "seen/apply": 0.5, "seen/noop": 0.25 },
      counts,
    );
    expect(l.step).toBe(40);
    expect(l.unseen).toBeCloseTo((3 * 1.0 + 2.0) / 4, 12); // 1.25
    expect(l.unseenApply).toBe(1.0);
    expect(l.unseenNoop).toBe(2.0);
    expect(l.seen).toBeCloseTo((2 * 0.5 + 2 * 0.25) / 4, 12); // 0.375
    expect(l.gap).toBeCloseTo(0.875, 12);
    // No seen examples: no seen loss and no gap.
    const none = subsetLoss(1, { "unseen/apply": 1.0 }, new Map([["unseen/apply", 2]]));
    expect(none).toMatchObject({ unseen: 1.0, seen: null, gap: null, unseenNoop: null });
  });
});

describe("experiment onlyif-threshold CLI", () => {
  requireBuiltCli();
  it("rejects a budget smaller than the largest I before training", async () => {
    const dir = await tempDir();
    const r = cli(["experiment", "onlyif-threshold", "--out", dir, "--rules", "4,64", "--budget", "32"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--budget 32 is smaller than --rules 64/);
  });
});

describeTorch("experiment onlyif-threshold (tiny, end to end)", () => {
  it("sweeps I, scores the same unseen-rule test set with exact match, and is deterministic", async () => {
    const dir = await tempDir();
    const options = (out: string) => ({
      out,
      rules: [8, 2],
      budget: 32,
      seeds: [0],
      seenTest: 4,
      generateAt: [1],
      synth: { alphabet: 4, stringLength: [5, 7] as [number, number], testRules: 3, testPerRule: 2 },
      trainOptions: {
        model: "builtin:tiny",
        maxSteps: 2,
        threads: 1,
        python: TORCH_PYTHON ?? undefined,
      },
    });
    const r = await onlyIfThreshold(options(join(dir, "a")));
    expect(r.rules).toEqual([2, 8]);
    expect(r.runs.map((x) => [x.rules, x.seed, x.trainExamples, x.steps])).toEqual([
      [2, 0, 32, 2],
      [8, 0, 32, 2],
    ]);
    expect(r.summary.map((s) => [s.rules, s.runs])).toEqual([
      [2, 1],
      [8, 1],
    ]);
    expect(r.threshold.map((t) => t.metric)).toEqual(["unseen", "unseenApply"]);
    expect(r.testSet).toMatch(/^per seed, the same/);
    const read = (...p: string[]) => readFile(join(dir, "a", ...p), "utf8");
    const jsonl = async (...p: string[]) =>
      (await read(...p))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    const unseenRows: string[][] = [];
    for (const run of r.runs) {
      expect(run.scores.map((s) => s.step)).toEqual([1, 2]);
      expect(run.final.unseen.examples).toBe(6);
      expect(run.final.seen.examples).toBe(4);
      // Test rules never in training: neither the pair nor (default --unseen pattern) the pattern.
      const rules = JSON.parse(await read(run.dataDir, "rules.json"));
      const trained = (await jsonl(run.dataDir, "train.jsonl")).map((x) => x.rule as string);
      expect(new Set(trained).size).toBe(run.rules);
      const trainedPatterns = new Set(trained.map((k) => k.split("->")[0]));
      for (const t of rules.test) {
        expect(trained).not.toContain(t.rule);
        expect(trainedPatterns.has(t.rule.split("->")[0])).toBe(false);
      }
      const evalRows = await jsonl(run.dataDir, "eval.jsonl");
      unseenRows.push(evalRows.filter((x) => x.task.startsWith("unseen/")).map((x) => JSON.stringify(x)));
      expect(evalRows[0].instruction).toMatch(/^rewrite [a-d]+ -> [a-d]+$/);
      // The final accuracy recomputed from the generations with the project's exactMatch.
      const gens = (await jsonl(run.runDir, "generations.jsonl")).filter((x) => x.step === 2);
      const unseen = gens.filter((x) => x.task.startsWith("unseen/"));
      expect(unseen).toHaveLength(6);
      const hits = unseen.reduce((a, x) => a + exactMatch(x.reference, x.prediction), 0);
      expect(run.final.unseen.accuracy).toBe(hits / 6);
      expect(unseen.map((x) => x.reference)).toEqual(
        evalRows.filter((x) => x.task.startsWith("unseen/")).map((x) => x.output),
      );
    }
    expect(unseenRows[1]).toEqual(unseenRows[0]);
    // The subset losses come from the run's last evaluation, weighted by the eval file's task counts.
    for (const run of r.runs) {
      const curves = JSON.parse(await read(run.runDir, "curves.json"));
      const last = curves.points[curves.points.length - 1];
      const evalRows = await jsonl(run.dataDir, "eval.jsonl");
      const n = (t: string) => evalRows.filter((x) => x.task === t).length;
      const per = last.test.perTask as Record<string, number>;
      const weighted = (tasks: string[]) =>
        tasks.reduce((a, t) => a + (per[t] ?? 0) * n(t), 0) /
        tasks.reduce((a, t) => a + (per[t] === undefined ? 0 : n(t)), 0);
      const unseenTasks = Object.keys(per).filter((t) => t.startsWith("unseen/"));
      const seenTasks = Object.keys(per).filter((t) => t.startsWith("seen/"));
      expect(run.loss!.step).toBe(2);
      expect(run.loss!.unseen).toBeCloseTo(weighted(unseenTasks), 12);
      expect(run.loss!.seen).toBeCloseTo(weighted(seenTasks), 12);
      expect(run.loss!.gap).toBeCloseTo(run.loss!.unseen! - run.loss!.seen!, 12);
    }
    expect(r.summary[0]!.loss.unseen!.mean).toBe(r.runs[0]!.loss!.unseen);
    const saved = JSON.parse(await read("experiment.json"));
    expect(saved).toMatchObject({ kind: "experiment", name: "onlyif-threshold", budget: 32, seeds: [0] });
    expect(saved.summary[0].unseen.mean).toBe(r.runs[0]!.final.unseen.accuracy);
    const html = await read("report.html");
    expect(html).toContain('id="ia-specs"');
    expect(html).toContain('data-chart="accuracy"');
    expect(html).not.toMatch(/<script[^>]+src=/);
    const spec = JSON.parse(await read("accuracy.vl.json"));
    expect(spec.layer[0].encoding.x.scale.type).toBe("log");
    expect(spec.layer[0].data.values.length).toBeGreaterThan(0);
    expect(html).toContain('data-chart="loss"');
    const lossSpec = JSON.parse(await read("loss.vl.json"));
    expect(
      lossSpec.layer[0].data.values
        .filter((v: { series: string }) => v.series === "test loss, unseen rules")
        .map((v: { rules: number; value: number }) => [v.rules, v.value]),
    ).toEqual(r.summary.map((s) => [s.rules, s.loss.unseen!.mean]));
    // Same options and seed: the same experiment.json bytes (timings live in timings.json).
    await onlyIfThreshold(options(join(dir, "b")));
    expect(await readFile(join(dir, "b", "experiment.json"), "utf8")).toBe(await read("experiment.json"));
    // Run again into the same directory: nothing is trained (the curves keep their bytes and time), the
    // same experiment.json is written; other training options train again.
    const timingsOf = async (d: string) => JSON.parse(await readFile(join(dir, d, "timings.json"), "utf8"));
    expect((await timingsOf("b")).runs.map((t: { reused: boolean }) => t.reused)).toEqual([false, false]);
    const curvesBefore = await readFile(join(dir, "b", r.runs[0]!.runDir, "curves.json"));
    const { mtimeMs } = await stat(join(dir, "b", r.runs[0]!.runDir, "curves.json"));
    await onlyIfThreshold(options(join(dir, "b")));
    expect((await timingsOf("b")).runs.map((t: { reused: boolean }) => t.reused)).toEqual([true, true]);
    expect((await stat(join(dir, "b", r.runs[0]!.runDir, "curves.json"))).mtimeMs).toBe(mtimeMs);
    expect(await readFile(join(dir, "b", r.runs[0]!.runDir, "curves.json"))).toEqual(curvesBefore);
    expect(await readFile(join(dir, "b", "experiment.json"), "utf8")).toBe(await read("experiment.json"));
    const other = options(join(dir, "b"));
    await onlyIfThreshold({ ...other, trainOptions: { ...other.trainOptions, lr: 5e-4 } });
    expect((await timingsOf("b")).runs.map((t: { reused: boolean }) => t.reused)).toEqual([false, false]);
    await onlyIfThreshold({ ...options(join(dir, "b")), resume: false });
    expect((await timingsOf("b")).runs.map((t: { reused: boolean }) => t.reused)).toEqual([false, false]);
    expect(JSON.parse(await read("timings.json")).runs).toHaveLength(2);
  }, 120_000);
});
