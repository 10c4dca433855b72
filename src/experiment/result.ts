import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ArrangeError } from "../core/errors.js";
import type { Measure } from "../core/types.js";
import type { CurvePoint } from "../train/run.js";
import { meanAndStd } from "./area.js";
import type { ArmSpec, CompareSpec, ExperimentSpec } from "./spec.js";

/**
 * What an experiment produces (OUT/experiment.json) and the pure steps that derive it from the runs:
 * per-arm summaries over seeds and the spec's ordered comparisons. Read by `report` and `predict`.
 */

export interface ExperimentRun {
  /** Arm label (also the run label's first word). */
  arm: string;
  /** The arm's order, when it has one (fig3-left's field). */
  order?: string;
  label: string;
  seed: number;
  arranged: string;
  runDir: string;
  /** Training rows of the arrangement. */
  rows: number;
  /** Mean test loss over the area window (trapezoid area / steps): lower = generalizes sooner. */
  area: number | null;
  finalLoss: number | null;
  minLoss: number | null;
  stepsPerSecond: number | null;
  /** True when the run was found complete in OUT and not trained again. */
  reused: boolean;
  /** The analysis of the run's arranged data (`analyze`, one checkpoint per evaluated step), when made. */
  analysis?: string;
}

export interface CurveSummaryPoint {
  step: number;
  examples: number;
  /** Mean test loss over seeds, its standard deviation (n-1), minimum and maximum, and how many seeds. */
  loss: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export interface ArmSummary {
  arm: string;
  order?: string;
  label: string;
  runs: number;
  rows: number;
  area: { mean: number; std: number } | null;
  finalLoss: { mean: number; std: number } | null;
  /** Test loss per evaluated step over seeds: mean, spread. */
  curve: CurveSummaryPoint[];
}

export interface Comparison {
  metric: "area" | "finalLoss";
  /** Arm labels in the expected order, lowest first. */
  order: string[];
  /** e.g. "NFT < RT < FFT". */
  statement: string;
  means: (number | null)[];
  /** Whether the means over seeds are strictly increasing in this order. */
  holdsOnMeans: boolean;
  seeds: number;
  /** Seeds on which every arm's value is strictly increasing in this order. */
  seedsHolding: number;
  perSeed: { seed: number; values: (number | null)[]; holds: boolean }[];
}

export interface ExperimentResult {
  tool: "instruct-arrange";
  version: string;
  kind: "experiment";
  name: string;
  description: string;
  figure: string | null;
  spec: ExperimentSpec;
  specSource: string;
  train: string;
  test: string;
  split: { holdout: string[]; trainFiles: number; testFiles: number } | null;
  measure: Measure;
  embedder: string;
  seeds: number[];
  aucSteps: number | null;
  /** The budget M and round groups used, when arms needed them. */
  budget: number | null;
  roundGroups: number | null;
  /** The rounds the round groups were cut from (--round-range); null = every round. */
  roundRange?: { from: number; to: number } | null;
  /** The training settings every run shared (resolved model, steps, ...), from the first run's curves. */
  training: {
    model: string;
    steps: number;
    batchSize: number;
    evalEvery: number;
    testExamples: number;
  } | null;
  runs: ExperimentRun[];
  summary: ArmSummary[];
  verdict: { comparisons: Comparison[] };
}

/** Arranged file -> its analysis file: OUT/analysis/<name>.json beside OUT/arranged/<name>.jsonl. */
export function analysisPathOf(out: string, arranged: string): string {
  const name = arranged.slice(arranged.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
  return join(out, "analysis", `${name}.json`);
}

/** One finished run with its test-loss curve: the input of the summaries. */
export interface RunWithCurve {
  run: ExperimentRun;
  curves: { points: readonly CurvePoint[] };
}

/** Per arm: the means and spreads over seeds of the area and final loss, and the loss curve per step. */
export function summarizeArms(arms: readonly ArmSpec[], results: readonly RunWithCurve[]): ArmSummary[] {
  const stat = (values: number[]) => (values.length === 0 ? null : meanAndStd(values));
  return arms.map((arm) => {
    const mine = results.filter((r) => r.run.arm === arm.label);
    const byStep = new Map<number, { examples: number; values: number[] }>();
    for (const { curves } of mine)
      for (const p of curves.points) {
        const e = byStep.get(p.step) ?? { examples: p.examples, values: [] };
        if (typeof p.test.loss === "number") e.values.push(p.test.loss);
        byStep.set(p.step, e);
      }
    const curve = [...byStep.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([step, { examples, values }]) => {
        const s = stat(values);
        return {
          step,
          examples,
          loss: s?.mean ?? null,
          std: s?.std ?? null,
          min: values.length === 0 ? null : Math.min(...values),
          max: values.length === 0 ? null : Math.max(...values),
          n: values.length,
        };
      });
    return {
      arm: arm.label,
      ...(arm.order !== undefined ? { order: arm.order } : {}),
      label: arm.label,
      runs: mine.length,
      rows: mine[0]?.run.rows ?? 0,
      area: stat(mine.map((r) => r.run.area).filter((v): v is number => v !== null)),
      finalLoss: stat(mine.map((r) => r.run.finalLoss).filter((v): v is number => v !== null)),
      curve,
    };
  });
}

export function compareArms(
  c: CompareSpec,
  summary: ArmSummary[],
  runs: ExperimentRun[],
  seeds: number[],
): Comparison | undefined {
  const metric = c.metric ?? "area";
  if (!c.order.every((l) => summary.some((s) => s.label === l))) return undefined;
  const increasing = (v: (number | null)[]) =>
    v.every((x) => x !== null) && v.every((x, i) => i === 0 || (v[i - 1] as number) < (x as number));
  const means = c.order.map((l) => summary.find((s) => s.label === l)![metric]?.mean ?? null);
  const perSeed = seeds.map((seed) => {
    const values = c.order.map((l) => {
      const r = runs.find((x) => x.arm === l && x.seed === seed);
      return r === undefined ? null : r[metric];
    });
    return { seed, values, holds: increasing(values) };
  });
  return {
    metric,
    order: c.order,
    statement: c.order.join(" < "),
    means,
    holdsOnMeans: increasing(means),
    seeds: seeds.length,
    seedsHolding: perSeed.filter((p) => p.holds).length,
    perSeed,
  };
}

/** Read an experiment.json written by runExperiment (for `report --experiment`). */
export async function readExperiment(path: string): Promise<ExperimentResult> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ArrangeError("input", `cannot read the experiment file: ${(cause as Error).message}`, {
      file: path,
      option: "--experiment",
      fix: "pass OUT/experiment.json written by instruct-arrange experiment",
      cause,
    });
  }
  const r = json as Partial<ExperimentResult>;
  if (r?.kind !== "experiment" || !Array.isArray(r.runs) || !Array.isArray(r.summary))
    throw new ArrangeError("input", 'not an experiment file (kind "experiment" with runs and summary)', {
      file: path,
      option: "--experiment",
      fix: "pass OUT/experiment.json written by instruct-arrange experiment",
    });
  // Files written before the spec-driven runner (fig3-left only) have no verdict or spread: fill them in.
  const summary = r.summary.map((s) => ({
    ...s,
    arm: s.arm ?? s.label,
    rows: s.rows ?? 0,
    curve: s.curve.map((p) => ({
      ...p,
      std: p.std ?? null,
      min: p.min ?? null,
      max: p.max ?? null,
      n: p.n ?? 0,
    })),
  }));
  return {
    ...(r as ExperimentResult),
    summary,
    runs: r.runs.map((x) => ({ ...x, arm: x.arm ?? x.label.split(" seed ")[0]! })),
    verdict: r.verdict ?? { comparisons: [] },
  };
}
