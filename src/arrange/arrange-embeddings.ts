import { noProgress } from "../core/progress.js";
import { createRng } from "../core/rng.js";
import { createGemm } from "../linalg/create-gemm.js";
import { trainTestAggregates } from "../similarity/train-test-aggregates.js";
import { createContext, type SimilarityOutcome, time } from "./context.js";
import { arrangeDiverse } from "./diverse.js";
import { arrangeSequence } from "./order.js";
import { resolveOptions } from "./resolve-options.js";
import { STRATEGY_TABLE } from "./strategies.js";
import type { ArrangeAlgoResult, ArrangeEmbeddings } from "./types.js";
import { validateInputs } from "./validate-inputs.js";

/**
 * Arranges training embeddings against test embeddings: validates, runs the strategy, applies the
 * budget and order, and reports each output row's nearest test row. Throws ArrangeError on bad input
 * or options; never prints.
 */
export const arrangeEmbeddings: ArrangeEmbeddings = async (train, test, tasks, algoOptions) => {
  const t0 = performance.now();
  validateInputs(train, test, tasks);
  const options = resolveOptions(algoOptions, train.rows);
  const ownGemm = algoOptions.gemm === undefined;
  const gemm = algoOptions.gemm ?? (await createGemm());
  const ctx = createContext({
    train,
    test,
    tasks,
    options,
    gemm,
    onProgress: algoOptions.onProgress ?? noProgress,
  });
  ctx.timings.validate = (performance.now() - t0) / 1000;
  if (gemm.fallbackReason !== undefined) ctx.warnings.push(gemm.fallbackReason);
  const rng = createRng(options.seed);
  try {
    if (options.select === "diverse") {
      const r = await arrangeDiverse(ctx, algoOptions, gemm, arrangeEmbeddings);
      ctx.timings.total = (performance.now() - t0) / 1000;
      return r;
    }
    const result: Partial<ArrangeAlgoResult> = {};
    let nearestTest: Int32Array | undefined;
    let nearestDistance: Float32Array | undefined;
    const entry = STRATEGY_TABLE[options.strategy];
    if (entry.kind === "similarity") {
      const outcome: SimilarityOutcome = await entry.sequence(ctx);
      const seq = outcome.sequence;
      const positions = await time(ctx, "select", () =>
        arrangeSequence(
          seq,
          options.order,
          options.budget,
          options.select,
          rng.fork("order"),
          options.withinRound,
          rng.fork("within-round"),
        ),
      );
      if (isIdentity(positions, seq.rows.length)) {
        // The sequence is the output (nearest-first, every computed position): its arrays are used as they
        // are, no per-row copies (about 20 bytes a row for TMA).
        result.order = seq.rows;
        result.value = seq.value;
        if (seq.round) result.round = seq.round;
        if (seq.pickedBy) result.pickedBy = seq.pickedBy;
      } else {
        const k = positions.length;
        const order = new Int32Array(k);
        const value = seq.value instanceof Float32Array ? new Float32Array(k) : new Float64Array(k);
        for (let p = 0; p < k; p++) {
          order[p] = seq.rows[positions[p]!]!;
          value[p] = seq.value[positions[p]!]!;
        }
        result.order = order;
        result.value = value;
        // Plain loops: Int32Array.from(typedArray, map) first copies every value into a JS list (the source is
        // iterable), i.e. ~16 bytes a row of V8 heap each, which the heap keeps after the garbage is gone.
        if (seq.round) result.round = gather(seq.round, positions);
        if (seq.pickedBy) result.pickedBy = gather(seq.pickedBy, positions);
      }
      if (outcome.roundSizes) result.roundSizes = outcome.roundSizes;
      if (outcome.wsdWeight !== undefined) result.wsdWeight = outcome.wsdWeight;
      nearestTest = outcome.nearestTest;
      nearestDistance = outcome.nearestDistance;
    } else {
      let order: Int32Array;
      if (entry.kind === "shuffle") order = entry.sequence(train.rows, rng.fork("random"));
      else
        order = entry.sequence(ctx.groups(), options.order === "random" ? rng.fork("schedule") : undefined);
      result.order = options.budget === undefined ? order : order.slice(0, options.budget);
    }
    if (nearestTest === undefined || nearestDistance === undefined) {
      const agg = await time(ctx, "nearest", () =>
        trainTestAggregates(
          train,
          test,
          { nearest: true },
          {
            gemm,
            onProgress: ctx.onProgress,
            stage: "distances",
            ...(options.blockRows ? { blockRows: options.blockRows } : {}),
          },
        ),
      );
      nearestTest = agg.nearestTest!;
      nearestDistance = agg.nearestDistance!;
    }
    const order = result.order!;
    const outTest = new Int32Array(order.length);
    const outDist = new Float32Array(order.length);
    for (let p = 0; p < order.length; p++) {
      outTest[p] = nearestTest[order[p]!]!;
      outDist[p] = nearestDistance[order[p]!]!;
    }
    ctx.timings.total = (performance.now() - t0) / 1000;
    return {
      ...result,
      order,
      nearestTest: outTest,
      nearestDistance: outDist,
      timings: ctx.timings,
      ...(ctx.warnings.length > 0 ? { warnings: ctx.warnings } : {}),
    };
  } finally {
    if (ownGemm) await gemm.dispose();
  }
};

/** `from[positions[p]]` for every p. */
function gather(from: Int32Array, positions: Int32Array): Int32Array {
  const out = new Int32Array(positions.length);
  for (let p = 0; p < positions.length; p++) out[p] = from[positions[p]!]!;
  return out;
}

/** True when positions is 0, 1, …, length − 1 (the whole sequence in its own order). */
function isIdentity(positions: Int32Array, length: number): boolean {
  if (positions.length !== length) return false;
  for (let p = 0; p < length; p++) if (positions[p] !== p) return false;
  return true;
}
