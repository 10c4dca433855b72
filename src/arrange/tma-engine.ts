import { ArrangeError } from "../core/errors.js";
import { createPlacement, createSelectScratch, placeRound, selectSmallestUntaken } from "./tma-select.js";

/** See the compaction rule in runTma. */
const COMPACT_AFTER = 0.5;
/**
 * A taken unit's key met inside a refill's band costs about this many keys skipped by the band
 * filter (a lookup in `taken` and a mispredicted branch, against a compare per key), so it weighs
 * that much more towards the next compaction.
 */
const TAKEN_IN_BAND_COST = 16;

/** Where each test point's keys come from (smaller key = preferred; ties go to the lower unit). */
export type TmaKeys =
  | {
      kind: "columns";
      /** Number of units (training rows or tasks). */
      n: number;
      /**
       * columns[j][i] = key of unit i for test point j. Used as scratch space: the run compacts the
       * columns in place, so their contents are garbage afterwards.
       */
      columns: Float32Array[];
    }
  | {
      kind: "candidates";
      n: number;
      /**
       * Per test point its smallest keys, ascending by (key, unit): enough for a run with `stopAfter`
       * when every list holds at least `stopAfter` units (or all n).
       */
      lists: { keys: Float32Array; ids: Int32Array }[];
    };

export interface TmaRunOptions {
  /** Stop after the round in which at least this many units have been taken (default: take all). */
  stopAfter?: number;
  /** Called after every round with the round number and the units taken so far. */
  onRound?: (round: number, taken: number) => void;
  /** Bytes for all candidate buffers together (default 256 MiB); bounds the refill size per test point. */
  bufferBytes?: number;
  /** Units loaded by a test point's first refill (default max(64, 4n/m)); doubles with every refill. */
  initialCapacity?: number;
}

export interface TmaStats {
  refills: number;
  /** Keys read by refills. */
  scanned: number;
  /** In-place compactions of the columns. */
  compactions: number;
  /** Keys of taken units met inside a refill's band. */
  takenSeen: number;
  /** Refills done by the bounded-heap pass. */
  fallbacks: number;
}

export interface TmaRun {
  /** Units in nearest-first order: rounds 1..N, ascending unit inside a round. */
  sequence: Int32Array;
  /** Round (1-based) of each sequence position. */
  round: Int32Array;
  /** Key of each unit for the test point that picked it (for pickedBy). */
  key: Float32Array;
  /** Lowest test point that picked each unit in its round. */
  pickedBy: Int32Array;
  /** Units taken per round. */
  roundSizes: number[];
  /** True when every unit was taken (false when stopped by `stopAfter`). */
  complete: boolean;
  /** Work counters, for benchmarks: refills, keys read, taken units met, heap fallbacks. */
  stats: TmaStats;
}

/**
 * Test-centric Multi-turn Arrangement (Algorithm 1 of arXiv 2406.11721), exact, without rescanning
 * the matrix every round.
 *
 * Each test point j keeps a sorted buffer holding, in (key, unit) order, the smallest units it has
 * not yet seen, with the invariant: every unit whose (key, unit) is at most the largest pair ever
 * loaded into j's buffer was loaded. Units are marked taken only at the end of a round, so within a
 * round j's pick is the first buffered unit not taken in an earlier round — exactly the argmin over the
 * remaining units. Taken units are popped lazily. When a buffer runs dry every loaded unit is taken, so
 * the refill is simply "the smallest untaken units, at least K of them, closed under (key, unit) order"
 * (one pass, see selectSmallestUntaken), K doubling per refill. Columns are compacted in place to the
 * untaken units when the keys of taken units read by refills have cost about as much as compacting.
 */
export function runTma(source: TmaKeys, options: TmaRunOptions = {}): TmaRun {
  const n = source.n;
  const m = source.kind === "columns" ? source.columns.length : source.lists.length;
  if (!(n >= 1) || !(m >= 1)) throw new RangeError(`runTma needs n ≥ 1 and m ≥ 1, got n=${n}, m=${m}`);
  const stopAfter = Math.min(n, options.stopAfter ?? n);
  const placement = createPlacement(n, m, "runTma");
  const { taken } = placement;
  const roundSizes: number[] = [];
  const stats: TmaStats = { refills: 0, scanned: 0, compactions: 0, takenSeen: 0, fallbacks: 0 };

  // Candidate buffers: test point j's next candidates are bufK/bufI[j][head[j] .. size[j]).
  const bufK: Float32Array[] = new Array(m);
  const bufI: Int32Array[] = new Array(m);
  const head = new Int32Array(m);
  const size = new Int32Array(m);
  const want = new Int32Array(m);

  let columns: Float32Array[] = [];
  let alive: Int32Array | null = null; // column position -> unit, once compacted
  let len = n; // current column length
  let maxWant = n;
  let wasted = 0; // keys of taken units read by refills since the last compaction
  const scratch = createSelectScratch();
  if (source.kind === "columns") {
    columns = source.columns;
    for (const c of columns) {
      if (c.length < n) throw new RangeError(`runTma: a column has ${c.length} keys, expected ${n}`);
    }
    maxWant = Math.max(1, Math.floor((options.bufferBytes ?? 256 * 2 ** 20) / (8 * m)));
    const first = options.initialCapacity ?? Math.max(64, Math.ceil((4 * n) / m));
    want.fill(Math.max(1, Math.min(first, maxWant, n)));
    for (let j = 0; j < m; j++) {
      bufK[j] = new Float32Array(0);
      bufI[j] = new Int32Array(0);
    }
  } else {
    for (let j = 0; j < m; j++) {
      const l = source.lists[j]!;
      bufK[j] = l.keys;
      bufI[j] = l.ids;
      size[j] = l.keys.length;
    }
  }

  const refill = (j: number, untaken: number): void => {
    stats.refills++;
    const seenBefore = scratch.takenSeen;
    const count = selectSmallestUntaken(
      {
        col: columns[j]!,
        len,
        alive,
        taken,
        untaken,
        floor: size[j]! > 0 ? bufK[j]![size[j]! - 1]! : Number.NEGATIVE_INFINITY,
      },
      want[j]!,
      scratch,
    );
    if (bufK[j]!.length < count) {
      bufK[j] = new Float32Array(count);
      bufI[j] = new Int32Array(count);
    }
    bufK[j]!.set(scratch.keys.subarray(0, count));
    bufI[j]!.set(scratch.ids.subarray(0, count));
    head[j] = 0;
    size[j] = count;
    want[j] = Math.min(maxWant, 2 * want[j]!);
    wasted += len - untaken + TAKEN_IN_BAND_COST * (scratch.takenSeen - seenBefore);
  };

  /** Drops taken units from every column, in place. */
  const compact = (remaining: number): void => {
    stats.compactions++;
    const keep = new Int32Array(remaining);
    const nextAlive = new Int32Array(remaining);
    let q = 0;
    for (let p = 0; p < len; p++) {
      const u = alive === null ? p : alive[p]!;
      if (taken[u] === 0) {
        keep[q] = p;
        nextAlive[q] = u;
        q++;
      }
    }
    for (let j = 0; j < m; j++) {
      const col = columns[j]!;
      for (let t = 0; t < remaining; t++) col[t] = col[keep[t]!]!; // keep is ascending: safe in place
    }
    alive = nextAlive;
    len = remaining;
    wasted = 0;
  };

  const picks = new Float64Array(m);
  const pickKey = new Float32Array(m);
  let round = 0;
  while (placement.count < stopAfter) {
    round++;
    const takenCount = placement.count;
    for (let j = 0; j < m; j++) {
      const ids = bufI[j]!;
      let h = head[j]!;
      while (h < size[j]! && taken[ids[h]!] !== 0) h++;
      head[j] = h;
      if (h === size[j]) {
        if (source.kind !== "columns") {
          throw new ArrangeError("internal", `TMA candidate list of test row ${j} ran out in round ${round}`);
        }
        refill(j, n - takenCount);
        if (size[j] === 0) throw new ArrangeError("internal", `TMA: no untaken unit left for test row ${j}`);
      }
      picks[j] = bufI[j]![head[j]!]! * m + j;
      pickKey[j] = bufK[j]![head[j]!]!;
    }
    const count = placeRound(placement, picks, m, m, pickKey, round);
    roundSizes.push(count);
    options.onRound?.(round, placement.count);
    // Ski rental: compact once the keys of taken units read since the last compaction (those inside a
    // refill's band weighted by TAKEN_IN_BAND_COST) cost about as much as a compaction (which reads
    // every column once), so it never costs much more than it saves.
    const remaining = n - placement.count;
    if (source.kind === "columns" && remaining > 0 && wasted >= COMPACT_AFTER * m * len) compact(remaining);
  }

  stats.scanned = scratch.scanned;
  stats.takenSeen = scratch.takenSeen;
  stats.fallbacks = scratch.fallbacks;
  return {
    sequence: placement.sequence.subarray(0, placement.count),
    round: placement.round.subarray(0, placement.count),
    key: placement.key.subarray(0, placement.count),
    pickedBy: placement.pickedBy.subarray(0, placement.count),
    roundSizes,
    complete: placement.count === n,
    stats,
  };
}
