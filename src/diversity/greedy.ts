import { ArrangeError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import type { GemmEngine } from "../linalg/types.js";

export interface GreedySelectOptions {
  /** Unit (or zero) rows, n × d, row-major. */
  x: Float32Array;
  n: number;
  d: number;
  /** Rows to select, 1..n. */
  budget: number;
  /**
   * λ in [0, 1]: each step takes the row maximizing (1 − λ)·relevance − λ·redundancy, where redundancy is the
   * largest cosine similarity to a row already selected (−1 before the first). λ = 1 without `relevance` is
   * farthest-point (k-center) traversal.
   */
  weight: number;
  /** Per-row relevance (e.g. the largest cosine similarity to a test row); required when weight < 1. */
  relevance?: Float64Array;
  /** The first row to take; default: the best by the objective (ties to the lowest index). */
  start?: number;
  gemm: GemmEngine;
  /** Selected rows checked lazily between matrix products (default 256). */
  batch?: number;
  onProgress?: ProgressSink;
  stage?: string;
}

export interface GreedySelection {
  /** Selected rows in selection order. */
  rows: Int32Array;
  /** Objective of each row when it was taken. */
  score: Float64Array;
  /** Largest cosine similarity of each selected row to the rows taken before it (−1 for the first). */
  redundancy: Float64Array;
  /** Largest cosine distance (1 − similarity) from a row not selected to its nearest selected row (k-center radius). */
  coverRadius: number;
}

/**
 * Greedy selection under a submodular-style objective (MMR, Carbonell & Goldstein 1998; with λ = 1, the
 * farthest-point traversal of Gonzalez 1985, a 2-approximation of k-center). Exact and deterministic: ties go
 * to the lowest index. Every row's redundancy only grows as rows are selected, so its score only falls; the
 * scores of a batch of up to `batch` new selections are brought up to date lazily (a max-heap of stale upper
 * bounds: a row is taken only when its score is current and still the largest), and after each batch one
 * matrix product (n × batch × d) updates every row. Cost: O(n·M·d) in matrix products plus the lazy checks.
 */
export async function greedySelect(o: GreedySelectOptions): Promise<GreedySelection> {
  const { x, n, d, budget, weight, gemm } = o;
  const progress = o.onProgress ?? noProgress;
  const stage = o.stage ?? "select";
  if (!(Number.isSafeInteger(budget) && budget >= 1 && budget <= n))
    throw new ArrangeError("usage", `budget must be from 1 to ${n}, got ${budget}`, { option: "--budget" });
  if (!(weight >= 0 && weight <= 1))
    throw new ArrangeError("usage", `--diversity-weight must be in [0, 1], got ${weight}`, {
      option: "--diversity-weight",
    });
  if (weight < 1 && o.relevance === undefined)
    throw new ArrangeError("internal", "greedySelect needs relevance when weight < 1");
  const rel = o.relevance;
  const relCoef = 1 - weight;
  const batch = Math.max(1, Math.min(o.batch ?? 256, budget));

  // redundancy[i] = max cosine similarity to selected rows applied so far (by matrix product or lazy check).
  const red = new Float64Array(n).fill(-1);
  const scoreOf = (i: number) =>
    (rel === undefined || relCoef === 0 ? 0 : relCoef * rel[i]!) - weight * red[i]!;
  // Pending selections (not yet applied to all rows) and how many of them each row has been checked against.
  const pending: number[] = [];
  const checked = new Int32Array(n);
  const taken = new Uint8Array(n);

  // Max-heap of (key desc, index asc) over rows not taken.
  const heapKey = new Float64Array(n);
  const heapRow = new Int32Array(n);
  let size = 0;
  const above = (a: number, b: number) =>
    heapKey[a]! > heapKey[b]! || (heapKey[a] === heapKey[b] && heapRow[a]! < heapRow[b]!);
  const swap = (a: number, b: number) => {
    const k = heapKey[a]!;
    heapKey[a] = heapKey[b]!;
    heapKey[b] = k;
    const r = heapRow[a]!;
    heapRow[a] = heapRow[b]!;
    heapRow[b] = r;
  };
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      let best = l;
      if (l + 1 < size && above(l + 1, l)) best = l + 1;
      if (!above(best, i)) return;
      swap(i, best);
      i = best;
    }
  };
  const rebuild = () => {
    size = 0;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      heapKey[size] = scoreOf(i);
      heapRow[size] = i;
      size++;
    }
    for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  };

  // Apply the pending selections to every row with one product per block of rows.
  const blockRows = Math.max(1, Math.min(n, Math.floor(4_000_000 / batch)));
  const centers = new Float32Array(batch * d);
  const apply = async () => {
    const p = pending.length;
    if (p === 0) return;
    for (let q = 0; q < p; q++) centers.set(x.subarray(pending[q]! * d, (pending[q]! + 1) * d), q * d);
    const out = new Float32Array(blockRows * p);
    for (let r0 = 0; r0 < n; r0 += blockRows) {
      const rows = Math.min(blockRows, n - r0);
      const sims = await gemm.multiplyNT(
        x.subarray(r0 * d, (r0 + rows) * d),
        rows,
        centers.subarray(0, p * d),
        p,
        d,
        1,
        out.subarray(0, rows * p),
      );
      for (let i = 0; i < rows; i++) {
        let best = red[r0 + i]!;
        const off = i * p;
        for (let q = 0; q < p; q++) if (sims[off + q]! > best) best = sims[off + q]!;
        red[r0 + i] = best;
      }
    }
    pending.length = 0;
    checked.fill(0);
  };
  // Bring row i up to date with the pending selections it has not been checked against.
  const refresh = (i: number) => {
    let best = red[i]!;
    const off = i * d;
    for (let q = checked[i]!; q < pending.length; q++) {
      const c = pending[q]! * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += x[off + k]! * x[c + k]!;
      if (s > best) best = s;
    }
    red[i] = best;
    checked[i] = pending.length;
  };

  const rows = new Int32Array(budget);
  const score = new Float64Array(budget);
  const redundancy = new Float64Array(budget);
  rebuild();
  let last = 0;
  for (let t = 0; t < budget; t++) {
    let pick: number;
    if (t === 0 && o.start !== undefined) {
      pick = o.start;
      if (!(Number.isSafeInteger(pick) && pick >= 0 && pick < n))
        throw new ArrangeError("internal", `start row ${pick} is outside 0..${n - 1}`);
    } else {
      for (;;) {
        const i = heapRow[0]!;
        if (checked[i] === pending.length) {
          pick = i;
          break;
        }
        refresh(i);
        heapKey[0] = scoreOf(i);
        siftDown(0);
      }
    }
    refresh(pick);
    rows[t] = pick;
    score[t] = scoreOf(pick);
    redundancy[t] = red[pick]!;
    taken[pick] = 1;
    pending.push(pick);
    if (pending.length >= batch || t === budget - 1) {
      await apply();
      rebuild();
    } else if (t === 0 && o.start !== undefined) {
      rebuild();
    } else {
      // The pick is at the top of the heap: remove it.
      size--;
      if (size > 0) {
        heapKey[0] = heapKey[size]!;
        heapRow[0] = heapRow[size]!;
        siftDown(0);
      }
    }
    const now = performance.now();
    if (now - last > 200 || t === budget - 1) {
      last = now;
      progress({ stage, done: t + 1, total: budget, unit: "rows" });
    }
  }
  let coverRadius = 0;
  for (let i = 0; i < n; i++) if (!taken[i] && 1 - red[i]! > coverRadius) coverRadius = 1 - red[i]!;
  return { rows, score, redundancy, coverRadius };
}
