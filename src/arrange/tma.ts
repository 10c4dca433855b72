import { usageError } from "../core/errors.js";
import type { Matrix } from "../core/types.js";
import { cosineDistanceColumns } from "../similarity/distance-columns.js";
import { nearestCandidates } from "../similarity/nearest-candidates.js";
import { type SimilarityOutcome, type StrategyContext, time } from "./context.js";
import { expandUnits, taskEmbeddings } from "./task-units.js";
import { runTma, type TmaKeys, type TmaRun } from "./tma-engine.js";

const GiB = 2 ** 30;
const fmtGiB = (bytes: number) => `${(bytes / GiB).toFixed(bytes < GiB ? 3 : 1)} GiB`;

/**
 * Test-centric Multi-turn Arrangement (section 4, Algorithm 1) on cosine distance. The nearest-first
 * sequence is rounds 1..N with ascending rows inside each round; the order and budget are applied by
 * the caller. With pick "farthest", every test point takes its farthest remaining point instead.
 *
 * Instance granularity holds the n × m distance matrix (test-major), or — with a budget and select
 * "min" — only each test point's M nearest rows (m × M × 8 bytes), which is exact because the first
 * rounds up to M picks never look past a test point's M-th nearest row. Task granularity runs on the
 * task mean embeddings and expands each task's examples in input order.
 */
export async function tmaSequence(ctx: StrategyContext): Promise<SimilarityOutcome> {
  const { options } = ctx;
  if (options.granularity === "task") {
    const groups = ctx.groups();
    const units = taskEmbeddings(ctx.train, groups);
    const run = await runOnUnits(ctx, units, undefined, "distances:tasks");
    const { rows, from } = expandUnits(run.run.sequence, groups);
    const round = new Int32Array(rows.length);
    const pickedBy = new Int32Array(rows.length);
    const value = new Float64Array(rows.length);
    const roundSizes = new Array<number>(run.run.roundSizes.length).fill(0);
    for (let p = 0; p < rows.length; p++) {
      const u = from[p]!;
      round[p] = run.run.round[u]!;
      pickedBy[p] = run.run.pickedBy[u]!;
      value[p] = run.distance[u]!;
      roundSizes[round[p]! - 1]!++;
    }
    return { sequence: { rows, total: rows.length, groupKey: round, value, round, pickedBy }, roundSizes };
  }
  const stopAfter = options.budget !== undefined && options.select === "min" ? options.budget : undefined;
  const run = await runOnUnits(ctx, ctx.train, stopAfter, "distances");
  return {
    sequence: {
      rows: run.run.sequence,
      total: ctx.train.rows,
      groupKey: run.run.round,
      value: run.distance,
      round: run.run.round,
      pickedBy: run.run.pickedBy,
    },
    nearestTest: run.nearestTest,
    nearestDistance: run.nearestDistance,
    roundSizes: run.run.roundSizes,
  };
}

interface UnitRun {
  run: TmaRun;
  /** Cosine distance of each sequence position to the test point that picked it. */
  distance: Float64Array;
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
}

async function runOnUnits(
  ctx: StrategyContext,
  units: Matrix,
  stopAfter: number | undefined,
  stage: string,
): Promise<UnitRun> {
  const { options, gemm, onProgress } = ctx;
  const n = units.rows;
  const m = ctx.test.rows;
  const farthest = options.pick === "farthest";
  const stream = {
    gemm,
    onProgress,
    stage,
    similarity: farthest,
    ...(options.blockRows === undefined ? {} : { blockRows: options.blockRows }),
  };
  const matrixBytes = n * m * 4;
  const candidateBytes = stopAfter === undefined ? Number.POSITIVE_INFINITY : m * stopAfter * 8;
  const what = units === ctx.train ? "training rows" : "tasks";
  let keys: TmaKeys;
  let nearestTest: Int32Array;
  let nearestDistance: Float32Array;
  if (candidateBytes < matrixBytes) {
    if (candidateBytes > options.memoryLimitBytes) {
      throw usageError(
        `TMA with --budget ${stopAfter} needs each of the ${m} test rows' ${stopAfter} nearest ${what}: ` +
          `${m} × ${stopAfter} × 8 bytes = ${fmtGiB(candidateBytes)}, over the memory limit of ${fmtGiB(options.memoryLimitBytes)}`,
        "--budget",
        "Use fewer test rows (sample the test set), a smaller --budget, or raise --memory-limit (GiB).",
      );
    }
    const c = await time(ctx, "distances", () => nearestCandidates(units, ctx.test, stopAfter!, stream));
    keys = { kind: "candidates", n, lists: c.lists };
    nearestTest = c.nearestTest;
    nearestDistance = c.nearestDistance;
  } else {
    if (matrixBytes > options.memoryLimitBytes) {
      throw usageError(
        `TMA needs the full cosine distance matrix of ${n} ${what} × ${m} test rows: ` +
          `${fmtGiB(matrixBytes)} (n × m × 4 bytes), over the memory limit of ${fmtGiB(options.memoryLimitBytes)}`,
        "--budget",
        `Use fewer test rows (sample the test set), or keep only the nearest rows with --budget M --select min ` +
          `(needs m × M × 8 bytes, e.g. --budget ${Math.max(1, Math.floor(options.memoryLimitBytes / (8 * m)))} fits), ` +
          "or raise --memory-limit (GiB) if the machine has the memory.",
      );
    }
    const c = await time(ctx, "distances", () => cosineDistanceColumns(units, ctx.test, stream));
    keys = { kind: "columns", n, columns: c.columns };
    nearestTest = c.nearestTest;
    nearestDistance = c.nearestDistance;
  }
  let last = 0;
  const run = await time(ctx, "tma", () =>
    runTma(keys, {
      ...(stopAfter === undefined ? {} : { stopAfter }),
      onRound: (round, taken) => {
        const now = performance.now();
        if (now - last < 100 && taken < (stopAfter ?? n)) return;
        last = now;
        // Progress counts rows placed (the total is known; the number of rounds is not).
        const end = stopAfter ?? n;
        onProgress({
          stage: "tma",
          done: Math.min(taken, end),
          total: end,
          unit: what,
          ...(taken >= end ? { message: `tma: ${round} rounds placed ${taken} ${what}` } : {}),
        });
      },
    }),
  );
  const distance = new Float64Array(run.key.length);
  for (let p = 0; p < distance.length; p++) distance[p] = farthest ? -run.key[p]! : run.key[p]!;
  return { run, distance, nearestTest, nearestDistance };
}
