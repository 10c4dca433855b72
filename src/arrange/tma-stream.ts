import { ArrangeError } from "../core/errors.js";
import type { ProgressSink } from "../core/progress.js";
import type { Matrix } from "../core/types.js";
import {
  gatherUnitRows,
  gatherUnitRowsHalf,
  normalizeRows,
  rowScales,
  rowScalesHalf,
  unitRowsBlock,
  unitRowsBlockHalf,
} from "../linalg/normalize-rows.js";
import { selectKth } from "../linalg/select-kth.js";
import { createSortPairsScratch, type SortPairsScratch, sortPairsByKey } from "../linalg/sort-pairs.js";
import type { GemmEngine } from "../linalg/types.js";
import { defaultBlockRows } from "../similarity/block-rows.js";
import type { TmaRun, TmaStats } from "./tma-engine.js";
import { createPlacement, placeRound } from "./tma-select.js";

export interface StreamTmaOptions {
  gemm: GemmEngine;
  /** Keys are cosine similarities (farthest first) instead of cosine distances. */
  similarity?: boolean;
  /** Bytes for the candidate lists of all test points together (the store); bounds each list's size. */
  storeBytes: number;
  /** Units per block of the first pass (default: defaultBlockRows(test rows)). */
  blockRows?: number;
  /** First list size per test point (default: max(64, 32 n / m), within the store). */
  initialCapacity?: number;
  /** Stop after the round in which at least this many units have been taken (default: take all). */
  stopAfter?: number;
  onRound?: (round: number, taken: number) => void;
  onProgress?: ProgressSink;
  /** Progress stage of the first pass (default "distances"). */
  stage?: string;
}

export interface StreamTmaStats extends TmaStats {
  /** Blocked passes over the untaken units after the first (each refills several test points at once). */
  passes: number;
  /** Test point refills done by those passes (refills counts the same). */
  refilled: number;
  /** Units × test points whose distance the refill passes computed (the first pass computes n × m). */
  refillProducts: number;
  /** Largest list size any test point reached. */
  largestList: number;
  /** Seconds of the first pass (distances and first lists) and of the rounds with their refill passes. */
  firstPassSeconds: number;
  roundsSeconds: number;
  /** Seconds of the refill passes (part of roundsSeconds). */
  refillSeconds: number;
}

export interface StreamTmaResult {
  run: TmaRun & { stats: StreamTmaStats };
  /** Nearest test row of every unit by cosine distance (ties: lowest test row), and the distance. */
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
}

/** Bytes the store needs per candidate slot: key and unit, in a buffer 1.5 × the list size. */
export const STORE_BYTES_PER_SLOT = 12;

/**
 * Per test point, a buffer holding its smallest (key, unit) pairs seen so far: pairs arrive in
 * ascending unit order and are appended while their key is below the threshold; when the buffer is
 * full it is cut to its `cap` smallest pairs by (key, unit) (a quickselect for the threshold, then one
 * stable compaction), the threshold becoming the largest kept key — a later pair with an equal key
 * never displaces a kept one (its unit is larger). The list is sorted once, when the pass ends.
 */
class Candidates {
  readonly keys: Float32Array[];
  readonly ids: Int32Array[];
  /** Pairs held (during a pass) or list length (after it). */
  readonly count: Int32Array;
  /** The list size wanted at the next load. */
  readonly cap: Int32Array;
  readonly tau: Float32Array;
  private readonly sort: SortPairsScratch = createSortPairsScratch();
  private scratch = new Float32Array(1024);

  constructor(m: number, first: number) {
    this.keys = new Array(m);
    this.ids = new Array(m);
    for (let j = 0; j < m; j++) {
      this.keys[j] = new Float32Array(0);
      this.ids[j] = new Int32Array(0);
    }
    this.count = new Int32Array(m);
    this.cap = new Int32Array(m).fill(first);
    this.tau = new Float32Array(m);
  }

  /** Empties j's list before a pass, with room for 1.5 × cap pairs. */
  reset(j: number): void {
    const cap = this.cap[j]!;
    const room = cap + (cap >> 1) + 1;
    if (this.keys[j]!.length < room) {
      this.keys[j] = new Float32Array(room);
      this.ids[j] = new Int32Array(room);
    }
    this.count[j] = 0;
    this.tau[j] = Number.POSITIVE_INFINITY;
  }

  /**
   * Lowers j's threshold before a pass (only an optimization: a list that ends with fewer than cap
   * pairs is still every pair below its threshold, closed under (key, unit) order).
   */
  presetThreshold(j: number, tau: number): void {
    this.tau[j] = tau;
  }

  /**
   * Offers row r of a test-major block (out[r*cols + c]) to list j: unit of column c is
   * units[from + c] (or from + c when units is null); keys are sign × out.
   */
  fold(
    j: number,
    out: Float32Array,
    off: number,
    cols: number,
    sign: number,
    units: Int32Array | null,
    from: number,
  ): void {
    const keys = this.keys[j]!;
    const ids = this.ids[j]!;
    const room = keys.length;
    let tau = this.tau[j]!;
    let c = this.count[j]!;
    for (let t = 0; t < cols; t++) {
      const v = sign * out[off + t]!;
      if (!(v < tau)) continue;
      keys[c] = v;
      ids[c] = units === null ? from + t : units[from + t]!;
      if (++c === room) {
        c = this.cut(j, c);
        tau = this.tau[j]!;
      }
    }
    this.count[j] = c;
  }

  /**
   * fold for the first pass (units from + t) that also folds the distances into every unit's nearest
   * test point (strict < over ascending j keeps the lowest test point on ties), in the same read.
   */
  foldFirst(
    j: number,
    out: Float32Array,
    off: number,
    cols: number,
    sign: number,
    from: number,
    minDist: Float32Array,
    argMin: Int32Array,
  ): void {
    const keys = this.keys[j]!;
    const ids = this.ids[j]!;
    const room = keys.length;
    let tau = this.tau[j]!;
    let c = this.count[j]!;
    for (let t = 0; t < cols; t++) {
      const dist = out[off + t]!;
      if (dist < minDist[from + t]!) {
        minDist[from + t] = dist;
        argMin[from + t] = j;
      }
      const v = sign * dist;
      if (!(v < tau)) continue;
      keys[c] = v;
      ids[c] = from + t;
      if (++c === room) {
        c = this.cut(j, c);
        tau = this.tau[j]!;
      }
    }
    this.count[j] = c;
  }

  /**
   * Cuts j's buffer of c pairs to its cap smallest by (key, unit), in place and stably. The buffer is in
   * ascending unit order (pairs arrive so, and cuts keep the order), so among keys equal to the cap-th
   * smallest the first ones met are the lowest units.
   */
  private cut(j: number, c: number): number {
    const keep = this.cap[j]!;
    if (c <= keep) return c;
    const keys = this.keys[j]!;
    const ids = this.ids[j]!;
    if (this.scratch.length < c) this.scratch = new Float32Array(Math.max(c, 2 * this.scratch.length));
    const tau = selectKth(keys, c, keep - 1, this.scratch);
    let below = 0;
    for (let p = 0; p < c; p++) if (keys[p]! < tau) below++;
    let ties = keep - below;
    let w = 0;
    for (let p = 0; p < c; p++) {
      const v = keys[p]!;
      if (v < tau || (v === tau && ties-- > 0)) {
        keys[w] = v;
        ids[w] = ids[p]!;
        w++;
      }
    }
    this.tau[j] = tau;
    return w;
  }

  /**
   * Ends a pass for j: its list is sorted ascending by (key, unit) and holds at most cap pairs; the
   * buffer shrinks to the list (the next pass allocates its own room).
   */
  finish(j: number): void {
    const c = this.cut(j, this.count[j]!);
    // Stable: equal keys stay in ascending unit order.
    sortPairsByKey(this.keys[j]!, this.ids[j]!, c, this.sort);
    this.count[j] = c;
    this.keys[j] = this.keys[j]!.slice(0, c);
    this.ids[j] = this.ids[j]!.slice(0, c);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest float32 above v (v finite). */
function nextUp(v: number): number {
  if (v === 0) return 2 ** -149;
  f32[0] = v;
  u32[0] = v > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0]!;
}

/** Rows ids[from .. from+count) as unit vectors into out (see gatherUnitRows). */
type Gather = (
  ids: Int32Array,
  from: number,
  count: number,
  scales: Float64Array,
  out: Float32Array,
) => Float32Array;

/** Sample pairs below the threshold per list; the sample is sized so that each list expects this many. */
const SAMPLE_HITS = 64;
/** Pairs a list should accept in a pass, relative to its cap: a few more than it keeps, rarely a cut. */
const ACCEPT_FACTOR = 1.25;

/**
 * Presets the thresholds of lists `who` for a pass over `count` units (units[0..count) or 0..count):
 * the keys of an evenly spaced sample of the units, by one small product, give each list the key below
 * which about ACCEPT_FACTOR × cap of the units fall. Without it a list accepts far more pairs early on,
 * while its threshold is still loose, and spends its time cutting its buffer.
 */
async function presetThresholds(
  lists: Candidates,
  who: Int32Array | null,
  m: number,
  a: Float32Array,
  gather: Gather,
  units: Int32Array | null,
  count: number,
  d: number,
  scales: Float64Array,
  sign: number,
  gemm: GemmEngine,
): Promise<void> {
  const r = who === null ? m : who.length;
  let smallest = Number.POSITIVE_INFINITY;
  for (let t = 0; t < r; t++) smallest = Math.min(smallest, lists.cap[who === null ? t : who[t]!]!);
  const size = Math.ceil((SAMPLE_HITS * count) / (ACCEPT_FACTOR * smallest));
  if (size * 4 > count) return;
  const pick = new Int32Array(size);
  for (let t = 0; t < size; t++) {
    const p = Math.floor(((t + 0.5) * count) / size);
    pick[t] = units === null ? p : units[p]!;
  }
  const rows = gather(pick, 0, size, scales, new Float32Array(size * d));
  const out = new Float32Array(r * size);
  await gemm.multiplyNT(a, r, rows, size, d, -1, out);
  const keys = new Float32Array(size);
  const scratch = new Float32Array(size);
  for (let t = 0; t < r; t++) {
    const j = who === null ? t : who[t]!;
    const q = Math.floor((ACCEPT_FACTOR * lists.cap[j]! * size) / count);
    if (q >= size) continue;
    for (let c = 0; c < size; c++) keys[c] = sign * out[t * size + c]!;
    // Just above the q-th sample key, so at least q + 1 sampled units (all in the pass) are accepted.
    lists.presetThreshold(j, nextUp(selectKth(keys, size, q, scratch)));
  }
}

/**
 * Exact Test-centric Multi-turn Arrangement (Algorithm 1 of arXiv 2406.11721) without the n × m
 * distance matrix. One pass of block matrix products keeps, per test point, its `cap` smallest
 * (key, unit) pairs. Rounds walk those lists, skipping units taken in earlier rounds: a list is the
 * smallest untaken units in order, so its first untaken entry is the exact argmin (ties to the lowest
 * unit). When lists run dry, one blocked pass over the untaken units refills all of them together —
 * and, in the same matrix product, every list that is more than half used up — each to twice its
 * previous size (within the store), since the units below a list's last key are all taken. Rounds
 * mark their picks taken only at the end, so a refill in the middle of a round sees the same untaken
 * set as the rest of the round; picks are attributed to the lowest test point (pickedBy) as in the
 * full-matrix engine. Memory: the embeddings, n × 8 bytes of row scales, the store and one block.
 */
export async function streamTma(
  units: Matrix,
  test: Matrix,
  options: StreamTmaOptions,
): Promise<StreamTmaResult> {
  const n = units.rows;
  const m = test.rows;
  const d = units.cols;
  if (!(n >= 1) || !(m >= 1)) throw new RangeError(`streamTma needs n ≥ 1 and m ≥ 1, got n=${n}, m=${m}`);
  if (test.cols !== d) throw new RangeError(`units have ${d} columns, test has ${test.cols}`);
  const { gemm } = options;
  const sign = options.similarity === true ? -1 : 1;
  const maxCap = Math.min(n, Math.floor(options.storeBytes / (STORE_BYTES_PER_SLOT * m)));
  if (!(maxCap >= 1)) throw new RangeError(`streamTma: a store of ${options.storeBytes} bytes holds no list`);
  const first = Math.max(
    1,
    Math.min(maxCap, options.initialCapacity ?? Math.max(64, Math.ceil((32 * n) / m))),
  );
  const stopAfter = Math.min(n, options.stopAfter ?? n);
  const testN = normalizeRows(test.data, m, d);
  // A float16 matrix (units.half) is read block by block, never converted whole: half the memory.
  const half = units.half;
  const data = half === undefined ? units.data : undefined;
  const scales = half === undefined ? rowScales(data!, n, d) : rowScalesHalf(half, n, d);
  const gather: Gather =
    half === undefined
      ? (ids, from, count, sc, out) => gatherUnitRows(data!, ids, from, count, d, sc, out)
      : (ids, from, count, sc, out) => gatherUnitRowsHalf(half, ids, from, count, d, sc, out);
  const lists = new Candidates(m, first);
  const stats: StreamTmaStats = {
    refills: 0,
    scanned: 0,
    compactions: 0,
    takenSeen: 0,
    fallbacks: 0,
    passes: 0,
    refilled: 0,
    refillProducts: 0,
    largestList: 0,
    firstPassSeconds: 0,
    roundsSeconds: 0,
    refillSeconds: 0,
  };
  const t0 = performance.now();

  // First pass: every unit against every test point, block by block.
  const nearestDistance = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  const nearestTest = new Int32Array(n);
  {
    const block = Math.max(1, Math.min(n, options.blockRows ?? defaultBlockRows(m)));
    const buf = new Float32Array(block * m);
    const unitScratch = new Float32Array(block * d);
    for (let j = 0; j < m; j++) lists.reset(j);
    await presetThresholds(lists, null, m, testN, gather, null, n, d, scales, sign, gemm);
    const stage = options.stage ?? "distances";
    for (let r0 = 0; r0 < n; r0 += block) {
      const rows = Math.min(block, n - r0);
      const out = rows === block ? buf : buf.subarray(0, rows * m);
      const b =
        half === undefined
          ? unitRowsBlock(data!, r0, rows, d, unitScratch, scales)
          : unitRowsBlockHalf(half, r0, rows, d, unitScratch, scales);
      await gemm.multiplyNT(testN, m, b, rows, d, -1, out);
      for (let j = 0; j < m; j++)
        lists.foldFirst(j, out, j * rows, rows, sign, r0, nearestDistance, nearestTest);
      options.onProgress?.({ stage, done: r0 + rows, total: n, unit: "rows" });
    }
    for (let j = 0; j < m; j++) {
      lists.finish(j);
      stats.largestList = Math.max(stats.largestList, lists.count[j]!);
    }
  }

  stats.firstPassSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const placement = createPlacement(n, m, "streamTma");
  const { taken } = placement;
  const roundSizes: number[] = [];
  const head = new Int32Array(m);
  const alive = new Int32Array(n); // untaken units, ascending, rebuilt by each refill pass

  // A refilled list holds a multiple of the untaken units' fair share per test point, the multiple
  // doubling every time the list runs dry (a test point whose neighbours are contested gets more).
  const fairShare = (u: number): number => options.initialCapacity ?? Math.max(64, Math.ceil((32 * u) / m));
  const growth = new Int32Array(m).fill(1);

  /** One blocked pass over the untaken units that reloads the lists of test points `who` (ascending). */
  const refillPass = async (who: Int32Array): Promise<void> => {
    const r = who.length;
    const started = performance.now();
    let u = 0;
    for (let i = 0; i < n; i++) if (taken[i] === 0) alive[u++] = i;
    stats.passes++;
    stats.refilled += r;
    stats.refills += r;
    stats.refillProducts += u * r;
    stats.scanned += u * r;
    const a = new Float32Array(r * d);
    for (let t = 0; t < r; t++) a.set(testN.subarray(who[t]! * d, (who[t]! + 1) * d), t * d);
    for (let t = 0; t < r; t++) {
      const j = who[t]!;
      // Never below the first pass's list size: the store held that much already, and lists cut to the
      // shrinking fair share of the untaken units run dry again soon (near-duplicate test points:
      // 11 refill passes reading 1.5× the matrix, 3 reading 0.9× with this floor).
      lists.cap[j] = Math.max(1, Math.min(maxCap, u, Math.max(first, fairShare(u) * growth[j]!)));
      lists.reset(j);
    }
    await presetThresholds(lists, who, m, a, gather, alive, u, d, scales, sign, gemm);
    const block = Math.max(1, Math.min(u, defaultBlockRows(r)));
    const buf = new Float32Array(block * r);
    const gathered = new Float32Array(block * d);
    for (let p0 = 0; p0 < u; p0 += block) {
      const rows = Math.min(block, u - p0);
      const b = gather(alive, p0, rows, scales, gathered);
      const out = rows === block ? buf : buf.subarray(0, rows * r);
      await gemm.multiplyNT(a, r, b, rows, d, -1, out);
      for (let t = 0; t < r; t++) lists.fold(who[t]!, out, t * rows, rows, sign, alive, p0);
    }
    for (let t = 0; t < r; t++) {
      const j = who[t]!;
      lists.finish(j);
      head[j] = 0;
      stats.largestList = Math.max(stats.largestList, lists.count[j]!);
    }
    stats.refillSeconds += (performance.now() - started) / 1000;
  };

  /** The test points to reload with the dry ones: every list with fewer than half its entries untaken. */
  const refillSet = (dry: number[]): Int32Array => {
    const mark = new Uint8Array(m);
    for (const j of dry) mark[j] = 1;
    for (let j = 0; j < m; j++) {
      if (mark[j] === 1) continue;
      const ids = lists.ids[j]!;
      const size = lists.count[j]!;
      let left = 0;
      for (let h = head[j]!; h < size; h++) if (taken[ids[h]!] === 0) left++;
      if (2 * left < size) mark[j] = 1;
    }
    let c = 0;
    for (let j = 0; j < m; j++) c += mark[j]!;
    const who = new Int32Array(c);
    c = 0;
    for (let j = 0; j < m; j++) if (mark[j] === 1) who[c++] = j;
    return who;
  };

  // A round's picks (unit × m + test point) with the key each test point picked at (see placeRound).
  const picks = new Float64Array(m);
  const pickKey = new Float32Array(m);
  const dry: number[] = [];
  let round = 0;
  while (placement.count < stopAfter) {
    round++;
    let count = 0;
    const pick = (j: number): void => {
      const at = head[j]!;
      picks[count++] = lists.ids[j]![at]! * m + j;
      pickKey[j] = lists.keys[j]![at]!;
    };
    dry.length = 0;
    for (let j = 0; j < m; j++) {
      const ids = lists.ids[j]!;
      const size = lists.count[j]!;
      let h = head[j]!;
      while (h < size && taken[ids[h]!] !== 0) h++;
      head[j] = h;
      if (h === size) dry.push(j);
      else pick(j);
    }
    if (dry.length > 0) {
      for (const j of dry) growth[j] = Math.min(growth[j]! * 2, 1 << 20);
      await refillPass(refillSet(dry));
      for (const j of dry) {
        if (lists.count[j] === 0)
          throw new ArrangeError("internal", `TMA: no untaken unit left for test row ${j}`);
        pick(j);
      }
    }
    const placed = placeRound(placement, picks, count, m, pickKey, round);
    roundSizes.push(placed);
    options.onRound?.(round, placement.count);
  }

  stats.roundsSeconds = (performance.now() - t1) / 1000;
  return {
    run: {
      sequence: placement.sequence.subarray(0, placement.count),
      round: placement.round.subarray(0, placement.count),
      key: placement.key.subarray(0, placement.count),
      pickedBy: placement.pickedBy.subarray(0, placement.count),
      roundSizes,
      complete: placement.count === n,
      stats,
    },
    nearestTest,
    nearestDistance,
  };
}
