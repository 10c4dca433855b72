import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { Measure } from "../core/types.js";
import { atomicWrite, writeAll } from "../data/atomic.js";
import { arrange } from "../pipeline/arrange.js";
import type { TrainCurves } from "../train/run.js";
import { type TrainOptions, train } from "../train/run.js";
import { VERSION } from "../version.js";
import { meanAndStd, meanOverSteps } from "./area.js";
import { splitByTask } from "./split.js";

export const FIG3_ORDERS = ["nearest-first", "random", "farthest-first"] as const;
export type Fig3Order = (typeof FIG3_ORDERS)[number];
const SHORT: Record<Fig3Order, string> = { "nearest-first": "NFT", random: "RT", "farthest-first": "FFT" };

/** Training options passed to every run (data, eval, out, seed and label are set per run). */
export type RunTrainOptions = Omit<TrainOptions, "data" | "eval" | "out" | "seed" | "label" | "onEvent">;

export interface Fig3LeftOptions {
  /** Training and test sets, or `data` + `holdout` for a task-level split of one directory. */
  train?: string;
  test?: string;
  data?: string;
  holdout?: string[];
  out: string;
  orders?: Fig3Order[];
  seeds?: number[];
  /** Ranking measure (the figure uses WSD). */
  measure?: Measure;
  embedder?: string;
  ngramDims?: number;
  /** Area window: steps 0..aucSteps (default: every step). */
  aucSteps?: number;
  trainOptions?: RunTrainOptions;
  onProgress?: ProgressSink;
}

export interface Fig3Run {
  order: Fig3Order;
  label: string;
  seed: number;
  arranged: string;
  runDir: string;
  /** Mean test loss over the area window (trapezoid area / steps): lower = generalizes sooner. */
  area: number | null;
  finalLoss: number | null;
  minLoss: number | null;
  stepsPerSecond: number | null;
}

export interface Fig3Summary {
  order: Fig3Order;
  label: string;
  runs: number;
  area: { mean: number; std: number } | null;
  finalLoss: { mean: number; std: number } | null;
  /** Test loss per evaluated step, averaged over seeds. */
  curve: { step: number; examples: number; loss: number | null }[];
}

export interface Fig3LeftResult {
  tool: "instruct-arrange";
  version: string;
  kind: "experiment";
  name: "fig3-left";
  description: string;
  train: string;
  test: string;
  split: { holdout: string[]; trainFiles: number; testFiles: number } | null;
  measure: Measure;
  embedder: string;
  seeds: number[];
  aucSteps: number | null;
  runs: Fig3Run[];
  summary: Fig3Summary[];
}

/**
 * The paper's Fig. 3 (left): the same training examples ranked by WSD nearest first (NFT), shuffled
 * (RT) and farthest first (FFT), each trained with the same seed; test loss on unseen tasks against
 * steps. Writes OUT/experiment.json, OUT/arranged/*.jsonl and one run directory per order and seed.
 */
export async function fig3Left(options: Fig3LeftOptions): Promise<Fig3LeftResult> {
  const onProgress = options.onProgress ?? noProgress;
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  let trainPath: string;
  let testPath: string;
  let split: Fig3LeftResult["split"] = null;
  if (options.data !== undefined) {
    if (options.train !== undefined || options.test !== undefined)
      throw usageError("give either --data with --holdout, or --train and --test", "--data");
    const s = await splitByTask(options.data, options.holdout ?? [], join(out, "split"));
    trainPath = s.train;
    testPath = s.test;
    split = {
      holdout: options.holdout ?? [],
      trainFiles: s.trainFiles.length,
      testFiles: s.testFiles.length,
    };
    onProgress({
      stage: "experiment",
      done: 0,
      unit: "runs",
      message: `task split: ${s.trainFiles.length} training files, ${s.testFiles.length} held-out test files`,
    });
  } else {
    if (options.train === undefined || options.test === undefined)
      throw usageError("give --train and --test, or --data with --holdout", "--train");
    trainPath = options.train;
    testPath = options.test;
  }
  const orders = options.orders ?? [...FIG3_ORDERS];
  const seeds = options.seeds ?? [0];
  if (orders.length === 0 || seeds.length === 0)
    throw usageError("nothing to run: no orders or no seeds", "--orders");
  const measure = options.measure ?? "wsd";
  const embedder = options.embedder ?? "ngram";
  await mkdir(join(out, "arranged"), { recursive: true });

  // NFT and FFT do not depend on the seed: arrange them once; RT is a seeded shuffle per seed.
  const arranged = new Map<string, string>();
  for (const order of orders) {
    for (const seed of order === "random" ? seeds : [seeds[0]!]) {
      const key = order === "random" ? `${order}:${seed}` : order;
      const file = join(
        out,
        "arranged",
        order === "random" ? `rt-seed${seed}.jsonl` : `${SHORT[order].toLowerCase()}.jsonl`,
      );
      onProgress({
        stage: "experiment",
        done: 0,
        unit: "runs",
        message: `arranging ${SHORT[order]}${order === "random" ? ` (seed ${seed})` : ""} by ${measure} -> ${file}`,
      });
      await arrange({
        train: trainPath,
        test: testPath,
        out: file,
        strategy: "rank",
        measure,
        order,
        seed,
        embedder,
        ngramDims: options.ngramDims,
      });
      arranged.set(key, file);
    }
  }

  const runs: Fig3Run[] = [];
  const curves: { order: Fig3Order; curves: TrainCurves }[] = [];
  const total = orders.length * seeds.length;
  for (const seed of seeds) {
    for (const order of orders) {
      const file = arranged.get(order === "random" ? `${order}:${seed}` : order)!;
      const label = `${SHORT[order]} seed ${seed}`;
      const runDir = join(out, "runs", `${SHORT[order].toLowerCase()}-seed${seed}`);
      onProgress({
        stage: "experiment",
        done: runs.length,
        total,
        unit: "runs",
        message: `training ${label} -> ${runDir}`,
      });
      const r = await train({
        ...options.trainOptions,
        data: file,
        eval: testPath,
        out: runDir,
        seed,
        label,
      });
      const losses = r.curves.points.map((p) => ({ step: p.step, value: p.test.loss }));
      const finite = losses.map((l) => l.value).filter((v): v is number => v !== null);
      runs.push({
        order,
        label,
        seed,
        arranged: file,
        runDir,
        area: meanOverSteps(losses, options.aucSteps),
        finalLoss: losses.at(-1)?.value ?? null,
        minLoss: finite.length === 0 ? null : Math.min(...finite),
        stepsPerSecond: r.stepsPerSecond,
      });
      curves.push({ order, curves: r.curves });
      onProgress({ stage: "experiment", done: runs.length, total, unit: "runs" });
    }
  }

  const summary: Fig3Summary[] = orders.map((order) => {
    const mine = runs.filter((r) => r.order === order);
    const areas = mine.map((r) => r.area).filter((v): v is number => v !== null);
    const finals = mine.map((r) => r.finalLoss).filter((v): v is number => v !== null);
    const first = curves.find((c) => c.order === order)!.curves;
    const curve = first.points.map((p, i) => {
      const values = curves
        .filter((c) => c.order === order)
        .map((c) => c.curves.points[i]?.test.loss)
        .filter((v): v is number => typeof v === "number");
      return {
        step: p.step,
        examples: p.examples,
        loss: values.length === 0 ? null : meanAndStd(values).mean,
      };
    });
    return {
      order,
      label: SHORT[order],
      runs: mine.length,
      area: areas.length === 0 ? null : meanAndStd(areas),
      finalLoss: finals.length === 0 ? null : meanAndStd(finals),
      curve,
    };
  });

  const result: Fig3LeftResult = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "experiment",
    name: "fig3-left",
    description:
      "Test loss on unseen tasks against training steps for the same examples ranked by a similarity measure nearest first (NFT), shuffled (RT) and farthest first (FFT) (arXiv 2406.11721, Fig. 3 left)",
    train: resolve(trainPath),
    test: resolve(testPath),
    split,
    measure,
    embedder,
    seeds,
    aucSteps: options.aucSteps ?? null,
    runs,
    summary,
  };
  await atomicWrite(join(out, "experiment.json"), (fh) =>
    writeAll(fh, Buffer.from(`${JSON.stringify(result, null, 2)}\n`)),
  );
  return result;
}
