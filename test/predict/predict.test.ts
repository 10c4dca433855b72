import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CURVE_NAMES } from "../../src/analyze/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import { fitGroupRidge, predictRow, solveSpd } from "../../src/predict/fit.js";
import { predict } from "../../src/predict/predict.js";
import { tempDir } from "../helpers/tmp.js";

describe("predict: the linear models", () => {
  it("solves a positive definite system and recovers group intercepts and slopes", () => {
    const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2);
    expect(x[0]).toBeCloseTo(0.5, 12);
    expect(x[1]).toBeCloseTo(0, 12);
    // y = a_g + 3 x: exact data, a tiny penalty.
    const rows = [0, 1, 2, 3].flatMap((i) => [
      { group: "a", x: [i], y: 1 + 3 * i },
      { group: "b", x: [i + 0.5], y: 10 + 3 * (i + 0.5) },
    ]);
    const m = fitGroupRidge(rows, 1e-9);
    expect(predictRow(m, { group: "a", x: [10] })).toBeCloseTo(31, 6);
    expect(predictRow(m, { group: "b", x: [0] })).toBeCloseTo(10, 6);
    // With no features it is the group mean.
    const base = fitGroupRidge(
      rows.map((r) => ({ ...r, x: [] })),
      1,
    );
    expect(predictRow(base, { group: "a", x: [] })).toBeCloseTo(1 + 3 * 1.5, 12);
  });
});

/** An experiment directory: arms × seeds runs with curves beside experiment.json, analyses in `analyses/`. */
async function experiment(
  dir: string,
  loss: (arm: number, seed: number, step: number, sim: number) => number,
): Promise<{ dir: string; analyses: string }> {
  await mkdir(join(dir, "analyses"), { recursive: true });
  const arms = ["A", "B", "C", "D"];
  const steps = [10, 20, 30, 40];
  const sim = (arm: number, step: number) => 0.1 * arm + 0.01 * step + 0.03 * ((arm * step) % 7);
  const runs = [];
  for (const [a, arm] of arms.entries()) {
    const overall = Object.fromEntries(
      CURVE_NAMES.map((m, k) => [m, steps.map((s) => sim(a, s) * (1 + k / 10))]),
    );
    await writeFile(
      join(dir, "analyses", `${arm.toLowerCase()}.analysis.json`),
      JSON.stringify({
        tool: "instruct-arrange",
        kind: "analysis",
        checkpoints: { batchSize: 4, saveSteps: 10, every: 40, steps, examples: steps.map((s) => 4 * s) },
        curves: { overall, perTask: {}, klEpsilon: 1e-10, wsd: steps.map((s) => sim(a, s) + 1) },
      }),
    );
    for (const seed of [0, 1, 2]) {
      const points = [0, ...steps].map((step) => ({
        step,
        examples: 4 * step,
        trainLoss: null,
        test: {
          loss: loss(a, seed, step, step === 0 ? 0 : sim(a, step)),
          tokenLoss: 0,
          perTask: {},
          examples: 1,
          unfit: 0,
        },
      }));
      await writeFile(
        join(dir, `${arm.toLowerCase()}-seed${seed}.curves.json`),
        JSON.stringify({ kind: "train-curves", batchSize: 4, points }),
      );
      runs.push({
        arm,
        label: `${arm} seed ${seed}`,
        seed,
        arranged: `/gone/arranged/${arm.toLowerCase()}.jsonl`,
        runDir: `/gone/runs/${arm.toLowerCase()}-seed${seed}`,
      });
    }
  }
  await writeFile(
    join(dir, "experiment.json"),
    JSON.stringify({
      kind: "experiment",
      name: "synthetic",
      runs,
      summary: [],
      training: { batchSize: 4, evalEvery: 10, steps: 40 },
    }),
  );
  return { dir, analyses: join(dir, "analyses") };
}

describe("predict", () => {
  it("finds a relation that is there, and reports none where the loss ignores similarity", async () => {
    const root = await tempDir();
    const noise = (a: number, seed: number, step: number) => 0.01 * Math.sin(13 * a + 7 * seed + step);
    const related = await experiment(
      join(root, "related"),
      (a, seed, step, sim) => 5 - 0.05 * step + 2 * sim + noise(a, seed, step),
    );
    const r = await predict({
      experiments: [related.dir],
      analyses: [related.analyses],
      out: join(root, "related.json"),
      html: join(root, "related.html"),
      svgDir: join(root, "svg"),
    });
    const [step, sim] = [r.models[0]!, r.models[1]!];
    expect(r.points).toHaveLength(4 * 3 * 4); // step 0 left out
    expect(sim.heldOutArm.rmse).toBeLessThan(step.heldOutArm.rmse / 3);
    expect(sim.heldOutSeed.rmse).toBeLessThan(step.heldOutSeed.rmse / 3);
    expect(sim.fit.r2).toBeGreaterThan(step.fit.r2);
    expect(Object.keys(sim.fit.coefficients)).toEqual([...CURVE_NAMES, "wsd"]);
    expect(r.finding).toMatch(/predicts part/);
    expect(JSON.parse(await readFile(join(root, "related.json"), "utf8")).kind).toBe("predict");
    expect(await readFile(join(root, "related.html"), "utf8")).toContain('data-chart="predict-arm"');
    expect(existsSync(join(root, "svg", "predict-arm.csv"))).toBe(true);

    const unrelated = await experiment(
      join(root, "unrelated"),
      (a, seed, step) => 5 - 0.05 * step + 0.2 * Math.sin(5 * a + 3 * seed + step),
    );
    const u = await predict({
      experiments: [unrelated.dir],
      analyses: [unrelated.analyses],
      out: join(root, "u.json"),
    });
    expect(u.models[1]!.heldOutArm.rmse).toBeGreaterThanOrEqual(u.models[0]!.heldOutArm.rmse * 0.9);
    expect(u.finding).toMatch(/does not predict/);
  });

  it("names the missing analysis and the fix; a checkpoint grid that misses an evaluated step is refused", async () => {
    const root = await tempDir();
    const e = await experiment(join(root, "e"), (_a, _s, step) => 5 - 0.01 * step);
    const missing = await predict({ experiments: [e.dir], out: join(root, "x.json") }).catch(
      (x: unknown) => x as ArrangeError,
    );
    expect(missing).toBeInstanceOf(ArrangeError);
    expect((missing as ArrangeError).option).toBe("--analyses");
    const path = join(e.analyses, "a.analysis.json");
    const a = JSON.parse(await readFile(path, "utf8"));
    a.checkpoints.steps = [10, 30, 50, 70];
    await writeFile(path, JSON.stringify(a));
    const grid = await predict({
      experiments: [e.dir],
      analyses: [e.analyses],
      out: join(root, "y.json"),
    }).catch((x: unknown) => x as ArrangeError);
    expect((grid as ArrangeError).file).toBe(path);
    expect((grid as ArrangeError).fix).toMatch(/--save-steps 10/);
    expect(existsSync(join(root, "x.json")) || existsSync(join(root, "y.json"))).toBe(false);
  });
});
