import { ArrangeError } from "../core/errors.js";
import { type Rng, shuffleInPlace } from "../core/rng.js";
import type { Order, Select, WithinRound } from "../core/types.js";
import { selectPositions } from "./budget.js";
import { reverseRuns } from "./reverse-runs.js";

/** A similarity strategy's nearest-first sequence of training rows, with per-position metadata. */
export interface NearestFirstSequence {
  /** Training rows, nearest first (a prefix of the full sequence when a budgeted TMA run stopped early). */
  rows: Int32Array;
  /** Length of the full sequence (the number of training rows). */
  total: number;
  /** Per position: what farthest-first reverses by (a TMA round, or a rank value); equal keys stay in order. */
  groupKey: ArrayLike<number>;
  /** Per position: the value reported for the row (TMA: float32 distances; rank measures: float64). */
  value: Float32Array | Float64Array;
  round?: Int32Array;
  pickedBy?: Int32Array;
}

/**
 * Positions of the output rows in the sequence: the budget's selection (appendix C.3, from the
 * nearest-first sequence) in the requested order — nearest-first keeps it, farthest-first reverses the
 * runs of equal group key (TMA: rounds descending, ascending row inside), random shuffles.
 * `withinRound: "shuffle"` (TMA) then shuffles the rows inside each run of equal group key with
 * `roundRng`, keeping the runs' order.
 */
export function arrangeSequence(
  seq: NearestFirstSequence,
  order: Order,
  budget: number | undefined,
  select: Select,
  rng: Rng,
  withinRound: WithinRound = "index",
  roundRng?: Rng,
): Int32Array {
  let positions: Int32Array;
  if (budget === undefined) {
    positions = new Int32Array(seq.total);
    for (let k = 0; k < seq.total; k++) positions[k] = k;
  } else {
    positions = selectPositions(seq.total, budget, select);
  }
  const last = positions.length > 0 ? positions[positions.length - 1]! : -1;
  if (last >= seq.rows.length) {
    throw new ArrangeError(
      "internal",
      `selection needs sequence position ${last}, only ${seq.rows.length} computed`,
    );
  }
  if (order === "random") return shuffleInPlace(positions, rng);
  if (order === "nearest-first" || order === "farthest-first") {
    const ordered = order === "nearest-first" ? positions : reverseRuns(positions, seq.groupKey);
    if (withinRound === "index") return ordered;
    if (roundRng === undefined)
      throw new ArrangeError("internal", 'withinRound "shuffle" reached arrangeSequence without a generator');
    return shuffleRuns(ordered, seq.groupKey, roundRng);
  }
  throw new ArrangeError("internal", `order "${order}" reached arrangeSequence`);
}

/** Shuffles, in place, the positions inside each run of equal `groupKey`; the runs keep their order. */
export function shuffleRuns(positions: Int32Array, groupKey: ArrayLike<number>, rng: Rng): Int32Array {
  let begin = 0;
  while (begin < positions.length) {
    const key = groupKey[positions[begin]!]!;
    let end = begin + 1;
    while (end < positions.length && groupKey[positions[end]!]! === key) end++;
    shuffleInPlace(positions.subarray(begin, end), rng);
    begin = end;
  }
  return positions;
}
