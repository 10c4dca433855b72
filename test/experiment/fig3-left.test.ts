import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { meanAndStd, meanOverSteps, splitByTask } from "../../src/experiment/index.js";
import { fig3Left, runExperiment } from "../../src/pipeline/experiment.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";
import { describeTorch, TINY_TRAINING } from "../helpers/torch.js";

const THREE_STEPS = { ...TINY_TRAINING, maxSteps: 3, evalEvery: 3, evalMaxExamples: 20 };

describe("curve areas", () => {
  it("is the trapezoid area over the step range, i.e. the curve's mean", () => {
    const pts = [
      { step: 0, value: 4 },
      { step: 10, value: 2 },
      { step: 20, value: 2 },
    ];
    expect(meanOverSteps(pts)).toBeCloseTo((3 * 10 + 2 * 10) / 20, 12);
    expect(meanOverSteps(pts, 10)).toBeCloseTo(3, 12);
    expect(
      meanOverSteps([
        { step: 0, value: 5 },
        { step: 5, value: null },
        { step: 10, value: 1 },
      ]),
    ).toBeCloseTo(3, 12);
    expect(meanOverSteps([{ step: 3, value: 7 }])).toBe(7);
    expect(meanOverSteps([])).toBeNull();
    expect(meanAndStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanAndStd([5])).toEqual({ mean: 5, std: 0 });
  });
});

describe("experiment CLI", () => {
  requireBuiltCli();
  it("rejects unknown orders and missing inputs with exit 2", async () => {
    const dir = await tempDir();
    const bad = cli([
      "experiment",
      "fig3-left",
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      dir,
      "--orders",
      "nft,sideways",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown order "sideways"/);
    const none = cli(["experiment", "fig3-left", "--out", dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--train and --test, or --data with --holdout/);
  });
});

describe("task-level split", () => {
  it("holds out every file whose name starts with a prefix", async () => {
    const dir = await tempDir();
    const data = join(dir, "data");
    await mkdir(data);
    for (const f of ["a_1.jsonl", "a_2.jsonl", "b_1.jsonl", "notes.txt"])
      await writeFile(join(data, f), "{}\n");
    const s = await splitByTask(data, ["b"], join(dir, "split"));
    expect(s.trainFiles).toEqual(["a_1.jsonl", "a_2.jsonl"]);
    expect(s.testFiles).toEqual(["b_1.jsonl"]);
    expect(await listDir(s.train)).toEqual(["a_1.jsonl", "a_2.jsonl"]);
    expect(await listDir(s.test)).toEqual(["b_1.jsonl"]);
    await expect(splitByTask(data, ["zzz"], join(dir, "x"))).rejects.toThrow(/no file in .* starts with zzz/);
    await expect(splitByTask(data, ["a", "b"], join(dir, "x"))).rejects.toThrow(
      /nothing is left to train on/,
    );
    await expect(splitByTask(data, [], join(dir, "x"))).rejects.toThrow(/--holdout/);
  });
});

describeTorch("experiment fig3-left (tiny, end to end)", () => {
  requireBuiltCli();

  it("arranges NFT/RT/FFT with the project's arrange, trains each with the same seed and summarizes", async () => {
    const dir = await tempDir();
    // One directory holding the bundled train and test families; the split takes the test families back out.
    const data = join(dir, "all");
    await mkdir(data);
    for (const src of [EXAMPLE_TRAIN, EXAMPLE_TEST])
      for (const f of await listDir(src)) await symlink(join(src, f), join(data, f));
    const out = join(dir, "exp");
    const r = await fig3Left({
      data,
      holdout: ["antonyms", "unit-conversion", "reverse-word", "animal-sounds"],
      out,
      seeds: [0],
      trainOptions: THREE_STEPS,
    });
    expect(r.split).toMatchObject({ trainFiles: 49, testFiles: 15 });
    expect(r.runs.map((x) => x.label)).toEqual(["NFT seed 0", "RT seed 0", "FFT seed 0"]);
    expect(r.summary.map((s) => s.label)).toEqual(["NFT", "RT", "FFT"]);
    const lines = async (f: string) => (await readFile(f, "utf8")).trim().split("\n");
    const [nft, rt, fft] = await Promise.all(r.runs.map((x) => lines(x.arranged)));
    // The same 1,200 rows in three orders; FFT is NFT reversed when no two WSD values tie.
    expect([...nft!].sort()).toEqual([...fft!].sort());
    expect([...rt!].sort()).toEqual([...nft!].sort());
    expect(nft!.length).toBe(1200);
    expect(fft![fft!.length - 1]).toBe(nft![0]);
    expect(rt).not.toEqual(nft);
    for (const run of r.runs) {
      const curves = JSON.parse(await readFile(join(run.runDir, "curves.json"), "utf8"));
      expect(curves.label).toBe(run.label);
      expect(curves.seed).toBe(0);
      const pts = curves.points.map((p: { step: number; test: { loss: number } }) => ({
        step: p.step,
        value: p.test.loss,
      }));
      expect(run.area).toBeCloseTo(meanOverSteps(pts)!, 12);
      // Each run trained on its own arrangement: the first prepared example is the arranged file's first row.
      const first = JSON.parse((await lines(join(run.runDir, "train.jsonl")))[0]!);
      const row = JSON.parse((await lines(run.arranged))[0]!);
      expect(first.instruction.startsWith(row.instruction)).toBe(true);
      expect(first.answer).toBe(row.output);
    }
    const saved = JSON.parse(await readFile(join(out, "experiment.json"), "utf8"));
    expect(saved).toMatchObject({
      kind: "experiment",
      name: "fig3-left",
      measure: "wsd",
      embedder: "ngram",
      seeds: [0],
    });
    expect(saved.summary[0].curve.map((p: { step: number }) => p.step)).toEqual([0, 3]);
    // Every arm's arranged data was analyzed with one checkpoint per evaluated step (here: step 3).
    for (const run of r.runs) {
      const a = JSON.parse(await readFile(run.analysis!, "utf8"));
      expect(a.inputs.train.path).toBe(run.arranged);
      expect(a.checkpoints.steps).toEqual([3]);
      expect(a.checkpoints.batchSize).toBe(saved.training.batchSize);
      expect(a.curves.window.overall["cos-avg"]).toHaveLength(1);
    }
    expect(saved.runs.map((x: { analysis: string }) => x.analysis)).toEqual(r.runs.map((x) => x.analysis));
    const page = await readFile(join(out, "report.html"), "utf8");
    expect(page).toContain('data-chart="experiment-similarity"');

    // A copied experiment directory resumes: its split test set has another path but the same content.
    const moved = join(dir, "moved");
    await cp(out, moved, { recursive: true });
    const again = await fig3Left({
      data,
      holdout: ["antonyms", "unit-conversion", "reverse-word", "animal-sounds"],
      out: moved,
      seeds: [0],
      trainOptions: THREE_STEPS,
    });
    expect(again.runs.map((x) => x.reused)).toEqual([true, true, true]);
    expect(again.summary.map((s) => s.area)).toEqual(r.summary.map((s) => s.area));
  }, 420_000);

  it("a run is reused only while the test set's content is the same", async () => {
    const dir = await tempDir();
    const test = join(dir, "test");
    await mkdir(test);
    for (const f of await listDir(EXAMPLE_TEST)) await cp(join(EXAMPLE_TEST, f), join(test, f));
    const options = {
      train: EXAMPLE_TRAIN,
      test,
      out: join(dir, "exp"),
      // Strategy random shuffles the training rows without looking at the test set.
      spec: { name: "random-only", arms: [{ label: "R", strategy: "random" as const }] },
      seeds: [0],
      report: false,
      analyze: false,
      trainOptions: TINY_TRAINING,
    };
    expect((await runExperiment(options)).runs.map((x) => x.reused)).toEqual([false]);
    expect((await runExperiment(options)).runs.map((x) => x.reused)).toEqual([true]);
    // One test row fewer at the same path: the same arranged data, another test set; trained again.
    const arranged = await readFile(join(dir, "exp", "arranged", "r-seed0.jsonl"));
    const first = join(test, (await listDir(test))[0]!);
    const rows = (await readFile(first, "utf8")).trim().split("\n");
    await writeFile(first, `${rows.slice(1).join("\n")}\n`);
    expect((await runExperiment(options)).runs.map((x) => x.reused)).toEqual([false]);
    expect(await readFile(join(dir, "exp", "arranged", "r-seed0.jsonl"))).toEqual(arranged);
  }, 180_000);
});
