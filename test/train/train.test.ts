import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readExamples } from "../../src/train/examples.js";
import { type TrainerEvent, train } from "../../src/train/index.js";
import { cli, ROOT, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";
import { describeTorch, TORCH_PYTHON } from "../helpers/torch.js";

const TINY = { model: "builtin:tiny", threads: 1, python: TORCH_PYTHON ?? undefined } as const;

async function jsonl(path: string, rows: object[]): Promise<string> {
  await writeFile(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return path;
}

describeTorch("train (PyTorch backend)", () => {
  requireBuiltCli();

  it("passes the trainer's own Python unit tests", () => {
    const r = spawnSync(TORCH_PYTHON!, ["-m", "unittest", "discover", "-s", "tests", "-t", "."], {
      cwd: join(ROOT, "trainer"),
      encoding: "utf8",
    });
    expect(r.stderr).toMatch(/\nOK\n/);
    expect(r.status).toBe(0);
  }, 60_000);

  it("writes curves.json at step 0 and every --eval-every steps, consuming examples in the given order", async () => {
    const dir = await tempDir();
    const r = await train({
      ...TINY,
      data: EXAMPLE_TRAIN,
      eval: EXAMPLE_TEST,
      out: join(dir, "run"),
      maxSteps: 4,
      evalEvery: 2,
      evalMaxExamples: 40,
      generateAt: [4],
      generateMaxExamples: 4,
      maxNewTokens: 8,
      debugOrder: true,
    });
    const curves = JSON.parse(await readFile(r.curvesPath, "utf8"));
    expect(curves).toMatchObject({
      tool: "instruct-arrange",
      kind: "train-curves",
      label: "run",
      batchSize: 16,
      evalEvery: 2,
    });
    expect(curves.points.map((p: { step: number }) => p.step)).toEqual([0, 2, 4]);
    expect(curves.points.map((p: { examples: number }) => p.examples)).toEqual([0, 32, 64]);
    expect(curves.points[0].trainLoss).toBeNull();
    const { examples: testRows } = await readExamples(EXAMPLE_TEST, { option: "--eval" });
    const testTasks = new Set(testRows.map((x) => x.task));
    for (const p of curves.points) {
      expect(p.test.examples + p.test.unfit).toBe(40);
      expect(Number.isFinite(p.test.loss)).toBe(true);
      expect(Number.isFinite(p.test.tokenLoss)).toBe(true);
      for (const t of Object.keys(p.test.perTask)) expect(testTasks.has(t)).toBe(true);
      if (p.step > 0) expect(Number.isFinite(p.trainLoss)).toBe(true);
    }
    const gen = curves.points[2].generation;
    expect(gen.examples).toBe(4);
    for (const k of ["rouge1", "rougeL", "exactMatch"]) expect(gen[k]).toBeGreaterThanOrEqual(0);
    expect((await readFile(join(r.runDir, "generations.jsonl"), "utf8")).trim().split("\n").length).toBe(4);
    // Order: step s consumed examples 16(s-1) .. 16s-1 of the training set as given.
    for (let s = 1; s <= 4; s++)
      expect(r.order[s]).toEqual(Array.from({ length: 16 }, (_, i) => 16 * (s - 1) + i));
    const prepared = (await readFile(join(r.runDir, "train.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const { examples: trainRows } = await readExamples(EXAMPLE_TRAIN, { option: "--data" });
    expect(prepared).toEqual(trainRows);
    const run = JSON.parse(await readFile(join(r.runDir, "run.json"), "utf8"));
    expect(run.timings.stepsPerSecond).toBeGreaterThan(0);
    expect(JSON.stringify(curves)).not.toMatch(/seconds/i);
  }, 120_000);

  it("repeats the order over epochs, with a partial last batch", async () => {
    const dir = await tempDir();
    const rows = Array.from({ length: 20 }, (_, i) => ({
      instruction: `item ${i}`,
      output: `${i}`,
      task: "t",
    }));
    const data = await jsonl(join(dir, "d.jsonl"), rows);
    const r = await train({
      ...TINY,
      data,
      eval: data,
      out: join(dir, "run"),
      batchSize: 8,
      epochs: 2,
      debugOrder: true,
    });
    expect(r.curves.steps).toBe(5);
    expect(r.order.slice(1).flat()).toEqual([...rows.keys(), ...rows.keys()]);
    expect(r.curves.points.at(-1)).toMatchObject({ step: 5, examples: 40 });
  }, 60_000);

  it("gives byte-identical curves for the same seed, different ones for another", async () => {
    const dir = await tempDir();
    const run = async (name: string, seed: number) =>
      readFile(
        (
          await train({
            ...TINY,
            data: EXAMPLE_TRAIN,
            eval: EXAMPLE_TEST,
            out: join(dir, name),
            label: "same",
            maxSteps: 3,
            evalEvery: 3,
            evalMaxExamples: 30,
            seed,
          })
        ).curvesPath,
        "utf8",
      );
    const a = await run("a", 7);
    expect(await run("b", 7)).toBe(a);
    expect(await run("c", 8)).not.toBe(a);
  }, 120_000);

  it("gives the same curve with two processes, each on a strided half of every batch", async () => {
    const dir = await tempDir();
    const run = (nproc: number) =>
      train({
        ...TINY,
        data: EXAMPLE_TRAIN,
        eval: EXAMPLE_TEST,
        out: join(dir, `p${nproc}`),
        maxSteps: 4,
        evalEvery: 2,
        evalMaxExamples: 20,
        nproc,
      });
    const one = await run(1);
    const two = await run(2);
    expect(two.start.world).toBe(2);
    expect(two.curves.points.length).toBe(one.curves.points.length);
    two.curves.points.forEach((p, i) => {
      const q = one.curves.points[i]!;
      expect(p.step).toBe(q.step);
      expect(p.test.loss!).toBeCloseTo(q.test.loss!, 5);
      if (p.trainLoss !== null) expect(p.trainLoss).toBeCloseTo(q.trainLoss!, 5);
    });
  }, 120_000);

  it("lowers the loss on a repeated batch", async () => {
    const dir = await tempDir();
    const rows = ["red", "green", "blue", "violet"].map((w, i) => ({
      instruction: `Colour ${i}?`,
      output: w,
      task: "c",
    }));
    const data = await jsonl(join(dir, "d.jsonl"), rows);
    const losses: number[] = [];
    const r = await train({
      ...TINY,
      data,
      eval: data,
      out: join(dir, "run"),
      batchSize: 4,
      maxSteps: 25,
      evalEvery: 25,
      lr: 3e-3,
      warmup: 0,
      onEvent: (e: TrainerEvent) => {
        if (e.event === "step" && e.loss !== null) losses.push(e.loss);
      },
    });
    expect(losses.length).toBe(25);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    const [first, last] = [r.curves.points[0]!, r.curves.points.at(-1)!];
    expect(last.test.loss!).toBeLessThan(0.5 * first.test.loss!);
  }, 60_000);

  it("reports test answers that cannot fit instead of scoring them", async () => {
    const dir = await tempDir();
    const data = await jsonl(join(dir, "d.jsonl"), [{ instruction: "a", output: "b", task: "t" }]);
    const test = await jsonl(join(dir, "e.jsonl"), [
      { instruction: "short", output: "ok", task: "fits" },
      { instruction: "long", output: "x".repeat(60), task: "too-long" },
    ]);
    const r = await train({ ...TINY, data, eval: test, out: join(dir, "run"), maxLength: 32, batchSize: 1 });
    for (const p of r.curves.points) {
      expect(p.test).toMatchObject({ examples: 1, unfit: 1 });
      expect(Object.keys(p.test.perTask)).toEqual(["fits"]);
      expect(Number.isFinite(p.test.loss)).toBe(true);
    }
    expect(r.unfit.find((u) => u.split === "eval")).toMatchObject({ unfit: 1, indices: [1] });
  }, 60_000);

  it("runs from the CLI with JSON-lines events, and rejects bad options with exit 2", async () => {
    const dir = await tempDir();
    const out = join(dir, "cli-run");
    const args = [
      "train",
      "--data",
      EXAMPLE_TRAIN,
      "--eval",
      EXAMPLE_TEST,
      "--out",
      out,
      "--model",
      "builtin:tiny",
    ];
    const ok = cli([
      ...args,
      "--max-steps",
      "2",
      "--eval-every",
      "1",
      "--eval-max-examples",
      "10",
      "--threads",
      "1",
      "--log-json",
    ]);
    expect(ok.stderr).toMatch(/"event":"trainer:step"/);
    expect(ok.code).toBe(0);
    const curves = JSON.parse(await readFile(join(out, "curves.json"), "utf8"));
    expect(curves.points.length).toBe(3);
    const bad = cli([...args, "--batch-size", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--batch-size must be an integer >= 1/);
    const badSize = cli([...args, "--model", "builtin:huge"]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toMatch(/builtin:tiny/);
  }, 120_000);
});
