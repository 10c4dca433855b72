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
  /** Rows brought up to date together by one matrix product when a stale row reaches the top (default 512). */
  hot?: number;
  /** Largest number of selections a row may lag behind and still be updated by scalar dot products (default 16). */
  lag?: number;
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
  /**
   * λ = 1 (k-center): the largest cosine distance (1 − similarity) from a row not selected to its nearest selected
   * row, i.e. the radius the selection covers the set with (0 when every row is selected). Null when λ < 1.
   */
  coverRadius: number | null;
  /** Work done: rows updated by matrix products, and by scalar dot products (row × selection pairs). */
  work: { productPairs: number; scalarPairs: number };
}

/**
 * Greedy selection under a monotone objective (MMR, Carbonell & Goldstein 1998; with λ = 1 the farthest-point
 * traversal of Gonzalez 1985, a 2-approximation of k-center). Exact and deterministic, ties to the lowest index.
 *
 * A row's redundancy only grows as rows are selected, so its score only falls. Every row keeps the score it had
 * when last brought up to date (an upper bound) in a max-heap, with the number of selections it has been compared
 * with. The top row is taken when it is up to date; otherwise it is compared with the selections it missed —
 * by scalar dot products when it lags by at most `lag`, else together with the `hot` highest rows of the heap in
 * one matrix product — and sifted down. Rows far down the heap are never compared with selections that could
 * not make them the best, so the work is well below the n·M·d of updating every row at every step.
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
  if (o.start !== undefined && !(Number.isSafeInteger(o.start) && o.start >= 0 && o.start < n))
    throw new ArrangeError("internal", `start row ${o.start} is outside 0..${n - 1}`);
  const rel = weight < 1 ? o.relevance : undefined;
  const relCoef = 1 - weight;
  const hotSize = Math.max(1, Math.min(n, o.hot ?? 512));
  const lag = Math.max(0, o.lag ?? 16);
  const work = { productPairs: 0, scalarPairs: 0 };

  // red[i]: max cosine similarity to the first upTo[i] selections.
  const red = new Float64Array(n).fill(-1);
  const upTo = new Int32Array(n);
  const selected = new Int32Array(budget + 1);
  let t = 0;
  const scoreOf = (i: number) => (rel === undefined ? 0 : relCoef * rel[i]!) - weight * red[i]!;

  // Max-heap of (key desc, row asc) over rows not taken.
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
  const siftUp = (start: number) => {
    let i = start;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!above(i, p)) return;
      swap(i, p);
      i = p;
    }
  };
  const popTop = () => {
    size--;
    if (size > 0) {
      heapKey[0] = heapKey[size]!;
      heapRow[0] = heapRow[size]!;
      siftDown(0);
    }
  };
  const push = (row: number) => {
    heapKey[size] = scoreOf(row);
    heapRow[size] = row;
    siftUp(size);
    size++;
  };

  // Scalar update of row i with the selections it missed.
  const refreshScalar = (i: number) => {
    let best = red[i]!;
    const off = i * d;
    for (let q = upTo[i]!; q < t; q++) {
      const c = selected[q]! * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += x[off + k]! * x[c + k]!;
      if (s > best) best = s;
    }
    work.scalarPairs += t - upTo[i]!;
    red[i] = best;
    upTo[i] = t;
  };

  // Matrix-product update of `rows` against selections lo..t (rows up to date with lo already; extra columns are
  // harmless since redundancy is a maximum).
  const rowBuf = new Float32Array(Math.min(hotSize, n) * d);
  const refreshRows = async (rows: number[], lo: number) => {
    const cols = t - lo;
    if (rows.length === 0 || cols === 0) return;
    const centers = new Float32Array(cols * d);
    for (let q = 0; q < cols; q++)
      centers.set(x.subarray(selected[lo + q]! * d, (selected[lo + q]! + 1) * d), q * d);
    const block = Math.max(1, Math.min(rows.length, Math.floor(4_000_000 / cols), hotSize));
    const out = new Float32Array(block * cols);
    for (let r0 = 0; r0 < rows.length; r0 += block) {
      const m = Math.min(block, rows.length - r0);
      for (let j = 0; j < m; j++) rowBuf.set(x.subarray(rows[r0 + j]! * d, (rows[r0 + j]! + 1) * d), j * d);
      const sims = await gemm.multiplyNT(
        rowBuf.subarray(0, m * d),
        m,
        centers,
        cols,
        d,
        1,
        out.subarray(0, m * cols),
      );
      for (let j = 0; j < m; j++) {
        const i = rows[r0 + j]!;
        let best = red[i]!;
        for (let q = 0; q < cols; q++) if (sims[j * cols + q]! > best) best = sims[j * cols + q]!;
        red[i] = best;
        upTo[i] = t;
      }
    }
    work.productPairs += rows.length * cols;
  };

  // Bring the `hot` highest rows of the heap up to date: rows lagging a little in one product, the others in another.
  const refreshHot = async () => {
    const rows: number[] = [];
    while (rows.length < hotSize && size > 0) {
      rows.push(heapRow[0]!);
      popTop();
    }
    const recent = rows.filter((i) => upTo[i]! >= t - 4 * lag - 1);
    const older = rows.filter((i) => upTo[i]! < t - 4 * lag - 1);
    const lowest = (rs: number[]) => rs.reduce((lo, i) => Math.min(lo, upTo[i]!), t);
    await refreshRows(recent, lowest(recent));
    await refreshRows(older, lowest(older));
    for (const i of rows) push(i);
  };

  /** The best row not taken, brought up to date (the heap top afterwards). */
  const best = async (): Promise<number> => {
    for (;;) {
      const i = heapRow[0]!;
      if (upTo[i] === t) return i;
      if (t - upTo[i]! <= lag) {
        refreshScalar(i);
        heapKey[0] = scoreOf(i);
        siftDown(0);
      } else {
        await refreshHot();
      }
    }
  };

  for (let i = 0; i < n; i++) {
    heapKey[i] = scoreOf(i);
    heapRow[i] = i;
  }
  size = n;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);

  const rows = new Int32Array(budget);
  const score = new Float64Array(budget);
  const redundancy = new Float64Array(budget);
  let last = 0;
  for (let step = 0; step < budget; step++) {
    let pick: number;
    if (step === 0 && o.start !== undefined) {
      pick = o.start;
      // Take the start out of the heap: move it to the top, then pop.
      const at = heapRow.subarray(0, size).indexOf(pick);
      heapKey[at] = Number.POSITIVE_INFINITY;
      siftUp(at);
    } else {
      pick = await best();
    }
    rows[step] = pick;
    score[step] = scoreOf(pick);
    redundancy[step] = red[pick]!;
    popTop();
    selected[t++] = pick;
    if (step === 0 && size > 0) {
      // Everyone is compared with the first selection at once (their keys are all equal or nearly so).
      const all: number[] = [];
      for (let j = 0; j < size; j++) all.push(heapRow[j]!);
      await refreshRows(all, 0);
      for (let j = 0; j < size; j++) heapKey[j] = scoreOf(heapRow[j]!);
      for (let j = (size >> 1) - 1; j >= 0; j--) siftDown(j);
    }
    const now = performance.now();
    if (now - last > 200 || step === budget - 1) {
      last = now;
      progress({ stage, done: step + 1, total: budget, unit: "rows" });
    }
  }
  let coverRadius: number | null = null;
  if (weight === 1) coverRadius = size === 0 ? 0 : 1 - red[await best()]!;
  return { rows, score, redundancy, coverRadius, work };
}
