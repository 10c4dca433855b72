import { usageError } from "../core/errors.js";
import type { Matrix } from "../core/types.js";
import { defaultBlockRows } from "../similarity/block-rows.js";
import { cosineDistanceColumns } from "../similarity/distance-columns.js";
import { nearestCandidates } from "../similarity/nearest-candidates.js";
import { type SimilarityOutcome, type StrategyContext, time } from "./context.js";
import { expandUnits, taskEmbeddings } from "./granularity.js";
import { runTma, type TmaKeys, type TmaRun } from "./tma-engine.js";
import { STORE_BYTES_PER_SLOT, streamTma } from "./tma-stream.js";

const GiB = 2 ** 30;
/**
 * Largest distance matrix the "auto" engine holds: below it the full-matrix engine was measured faster
 * (100k × 1k × 384, 400 MB: 6.3 s vs 6.7 s clustered, 6.9 s vs 10.8 s near-duplicate test points, under
 * load); above it the streaming engine keeps memory at the embeddings plus the candidate store.
 */
export const MATRIX_ENGINE_MAX_BYTES = GiB;
const fmtGiB = (bytes: number) =>
  bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / GiB).toFixed(bytes < GiB ? 3 : 1)} GiB`;

/**
 * Test-centric Multi-turn Arrangement (section 4, Algorithm 1) on cosine distance. The nearest-first
 * sequence is rounds 1..N with ascending rows inside each round; the order and budget are applied by
 * the caller. With pick "farthest", every test point takes its farthest remaining point instead.
 *
 * With tmaEngine "stream" (the default once the matrix would pass MATRIX_ENGINE_MAX_BYTES) no distance
 * matrix is held: each test point keeps its best candidates, refilled by blocked passes over the
 * untaken rows (see streamTma), within --memory-limit. The "matrix" engine holds the n × m distance matrix (test-major), or — with a budget
 * and select "min" — only each test point's M nearest rows (m × M × 8 bytes); both give the same
 * result. Task granularity runs on the task mean embeddings and expands each task's examples in
 * input order.
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
    const value = new Float32Array(rows.length);
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
  /** Cosine distance of each sequence position to the test point that picked it (the run's keys, reused). */
  distance: Float32Array;
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
  const what = units === ctx.train ? "training rows" : "tasks";
  const onRound = roundProgress(onProgress, n, stopAfter, what);
  const farthest = options.pick === "farthest";
  const engine =
    options.tmaEngine !== "auto"
      ? options.tmaEngine
      : n * ctx.test.rows * 4 <= Math.min(MATRIX_ENGINE_MAX_BYTES, options.memoryLimitBytes)
        ? "matrix"
        : "stream";
  if (engine === "stream") {
    const plan = streamPlan(n, ctx.test.rows, units.cols, options.memoryLimitBytes, options.blockRows);
    const r = await streamTma(units, ctx.test, {
      gemm,
      similarity: farthest,
      storeBytes: plan.storeBytes,
      blockRows: plan.blockRows,
      onProgress,
      stage,
      onRound,
      ...(stopAfter === undefined ? {} : { stopAfter }),
      ...(options.tmaInitialCapacity === undefined ? {} : { initialCapacity: options.tmaInitialCapacity }),
    });
    ctx.timings.distances = (ctx.timings.distances ?? 0) + r.run.stats.firstPassSeconds;
    ctx.timings.tma = (ctx.timings.tma ?? 0) + r.run.stats.roundsSeconds;
    return {
      run: r.run,
      distance: keysToDistances(r.run.key, farthest),
      nearestTest: r.nearestTest,
      nearestDistance: r.nearestDistance,
    };
  }
  const m = ctx.test.rows;
  const stream = {
    gemm,
    onProgress,
    stage,
    similarity: farthest,
    ...(options.blockRows === undefined ? {} : { blockRows: options.blockRows }),
  };
  const matrixBytes = n * m * 4;
  const candidateBytes = stopAfter === undefined ? Number.POSITIVE_INFINITY : m * stopAfter * 8;
  let keys: TmaKeys;
  let nearestTest: Int32Array;
  let nearestDistance: Float32Array;
  if (candidateBytes < matrixBytes) {
    if (candidateBytes > options.memoryLimitBytes) {
      throw usageError(
        `TMA with --budget ${stopAfter} needs each of the ${m} test rows' ${stopAfter} nearest ${what}: ` +
          `${m} × ${stopAfter} × 8 bytes = ${fmtGiB(candidateBytes)}, over the memory limit of ${fmtGiB(options.memoryLimitBytes)}`,
        "--memory-limit",
        "Raise --memory-limit (GiB), or use the streaming engine (the default).",
      );
    }
    const c = await time(ctx, "distances", () => nearestCandidates(units, ctx.test, stopAfter!, stream));
    keys = { kind: "candidates", n, lists: c.lists };
    nearestTest = c.nearestTest;
    nearestDistance = c.nearestDistance;
  } else {
    if (matrixBytes > options.memoryLimitBytes) {
      throw usageError(
        `the matrix TMA engine needs the full cosine distance matrix of ${n} ${what} × ${m} test rows: ` +
          `${fmtGiB(matrixBytes)} (n × m × 4 bytes), over the memory limit of ${fmtGiB(options.memoryLimitBytes)}`,
        "--memory-limit",
        "Use the streaming engine (the default), or raise --memory-limit (GiB).",
      );
    }
    const c = await time(ctx, "distances", () => cosineDistanceColumns(units, ctx.test, stream));
    keys = { kind: "columns", n, columns: c.columns };
    nearestTest = c.nearestTest;
    nearestDistance = c.nearestDistance;
  }
  const run = await time(ctx, "tma", () =>
    runTma(keys, { ...(stopAfter === undefined ? {} : { stopAfter }), onRound }),
  );
  return { run, distance: keysToDistances(run.key, farthest), nearestTest, nearestDistance };
}

/**
 * The cosine distances of a run's picks from its keys, in place (a farthest-first run's keys are
 * similarities: negating a float32 is exact), so no second per-row copy is made. The run's `key` holds
 * distances afterwards.
 */
function keysToDistances(key: Float32Array, farthest: boolean): Float32Array {
  if (farthest) for (let p = 0; p < key.length; p++) key[p] = -key[p]!;
  return key;
}

/** Progress after TMA rounds: rows placed out of those the run will place (the number of rounds is not known). */
function roundProgress(
  onProgress: StrategyContext["onProgress"],
  n: number,
  stopAfter: number | undefined,
  what: string,
): (round: number, taken: number) => void {
  let last = 0;
  const end = stopAfter ?? n;
  return (round, taken) => {
    const now = performance.now();
    if (now - last < 100 && taken < end) return;
    last = now;
    onProgress({
      stage: "tma",
      done: Math.min(taken, end),
      total: end,
      unit: what,
      ...(taken >= end ? { message: `tma: ${round} rounds placed ${taken} ${what}` } : {}),
    });
  };
}

export interface StreamPlan {
  /** Units per block of the first pass. */
  blockRows: number;
  /** Bytes of one block: distances (rows × m) and normalized rows (rows × d), float32. */
  blockBytes: number;
  /** Bytes left for the candidate store. */
  storeBytes: number;
}

/** Smallest block the streaming engine uses when the memory limit is tight. */
const MIN_BLOCK_ROWS = 64;

/**
 * How the streaming engine splits --memory-limit: one block of distances (at most half the limit, at
 * least MIN_BLOCK_ROWS rows) and the candidate store (the rest). A limit that cannot hold the smallest
 * block and one candidate slot per test point is a usage error naming --memory-limit.
 */
export function streamPlan(
  n: number,
  m: number,
  d: number,
  limitBytes: number,
  blockRows?: number,
): StreamPlan {
  const perRow = 4 * (m + d);
  const minBlock = Math.min(n, MIN_BLOCK_ROWS);
  const needed = minBlock * perRow + STORE_BYTES_PER_SLOT * m;
  if (limitBytes < needed) {
    throw usageError(
      `--memory-limit ${fmtGiB(limitBytes)} cannot hold one block of TMA distances (${minBlock} rows × ${m} test rows) ` +
        `and one candidate per test row: needs at least ${fmtGiB(needed)}`,
      "--memory-limit",
      `raise --memory-limit to at least ${Math.ceil((needed / GiB) * 1000) / 1000} GiB, or use fewer test rows`,
    );
  }
  const wanted = Math.max(1, Math.min(n, blockRows ?? defaultBlockRows(m)));
  const fit = Math.max(
    minBlock,
    Math.floor(Math.min(limitBytes / 2, limitBytes - STORE_BYTES_PER_SLOT * m) / perRow),
  );
  const rows = Math.max(1, Math.min(wanted, fit));
  const blockBytes = rows * perRow;
  return { blockRows: rows, blockBytes, storeBytes: limitBytes - blockBytes };
}
