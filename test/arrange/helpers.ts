import { expect } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import type { Matrix, TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";

/** A small deterministic PRNG for test data (mulberry32), uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function matrix(rows: number[][]): Matrix {
  const cols = rows[0]?.length ?? 0;
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols };
}

export function singleTask(n: number): TaskIndex {
  return { taskOf: new Int32Array(n), names: ["all"] };
}

/**
 * Random embeddings. `quantized`: 16-d vectors with entries ±1/4 (unit norm exactly, every dot product a
 * multiple of 1/16, exact in float32 and float64) — many exact distance ties. Otherwise clustered
 * Gaussian-ish unit vectors around `clusters` random centers.
 */
export function randomEmbeddings(
  rows: number,
  seed: number,
  opts: { d?: number; quantized?: boolean; clusters?: number; spread?: number } = {},
): Matrix {
  const rand = prng(seed);
  if (opts.quantized) {
    const d = 16;
    const data = new Float32Array(rows * d);
    for (let i = 0; i < data.length; i++) data[i] = rand() < 0.5 ? -0.25 : 0.25;
    return { data, rows, cols: d };
  }
  const d = opts.d ?? 8;
  const k = opts.clusters ?? 4;
  const spread = opts.spread ?? 0.5;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centers: number[][] = [];
  for (let c = 0; c < k; c++) centers.push(Array.from({ length: d }, gauss));
  const data = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const c = centers[Math.floor(rand() * k)]!;
    let norm = 0;
    const v = c.map((x) => x + spread * gauss());
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    for (let t = 0; t < d; t++) data[i * d + t] = v[t]! / norm;
  }
  return { data, rows, cols: d };
}

/** Cosine distance (−cos) in float64, test-major: cols[j][i]. */
export function exactCosineColumns(train: Matrix, test: Matrix): Float64Array[] {
  const d = train.cols;
  const norm = (m: Matrix, i: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += m.data[i * d + k]! ** 2;
    return Math.sqrt(s);
  };
  const cols: Float64Array[] = [];
  for (let j = 0; j < test.rows; j++) {
    const col = new Float64Array(train.rows);
    const nt = norm(test, j);
    for (let i = 0; i < train.rows; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += train.data[i * d + k]! * test.data[j * d + k]!;
      const nx = norm(train, i);
      col[i] = nx > 0 && nt > 0 ? -s / (nx * nt) : 0;
    }
    cols.push(col);
  }
  return cols;
}

export interface ReferenceTma {
  /** Rounds, each ascending. */
  rounds: number[][];
  /** Per row: lowest test row that picked it, and its distance to that test row. */
  pickedBy: Map<number, number>;
  value: Map<number, number>;
}

/**
 * The authors' algorithm, straightforwardly: every round, every test point scans all remaining rows for
 * its argmin (argmax with `farthest`), first index on ties. O(rounds · n · m).
 */
export function referenceTma(
  cols: ArrayLike<number>[],
  n: number,
  farthest = false,
  stopAfter = n,
): ReferenceTma {
  const remaining = new Uint8Array(n).fill(1);
  const rounds: number[][] = [];
  const pickedBy = new Map<number, number>();
  const value = new Map<number, number>();
  let taken = 0;
  while (taken < stopAfter) {
    const picks = new Set<number>();
    for (let j = 0; j < cols.length; j++) {
      const col = cols[j]!;
      let best = -1;
      let bv = 0;
      for (let i = 0; i < n; i++) {
        if (!remaining[i]) continue;
        const v = col[i]!;
        if (best < 0 || (farthest ? v > bv : v < bv)) {
          best = i;
          bv = v;
        }
      }
      if (!picks.has(best)) {
        picks.add(best);
        pickedBy.set(best, j);
        value.set(best, bv);
      }
    }
    const round = [...picks].sort((a, b) => a - b);
    for (const i of round) remaining[i] = 0;
    taken += round.length;
    rounds.push(round);
  }
  return { rounds, pickedBy, value };
}

const smallGemm = createTsGemm();
/** 20 training rows and 3 test rows, 4-d: the inputs of the error cases. */
export const smallTrain = randomEmbeddings(20, 1, { d: 4 });
export const smallTest = randomEmbeddings(3, 2, { d: 4 });

/** The ArrangeError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<ArrangeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ArrangeError);
    return e as ArrangeError;
  }
  throw new Error("expected an ArrangeError");
}

/** arrangeEmbeddings with TMA, seed 1 and the small inputs unless given. */
export const arrangeSmall = (
  o: Partial<ArrangeAlgoOptions>,
  tr: Matrix = smallTrain,
  te: Matrix = smallTest,
  tasks: TaskIndex = singleTask(tr.rows),
) =>
  arrangeEmbeddings(tr, te, tasks, { strategy: "tma", seed: 1, gemm: smallGemm, ...o } as ArrangeAlgoOptions);

/** The --within-round cases: 240 training rows in 5 clusters, 9 test rows, 6 tasks by row modulo 6. */
export const withinRoundData = (() => {
  const n = 240;
  const train = randomEmbeddings(n, 7, { d: 6, clusters: 5 });
  const test = randomEmbeddings(9, 8, { d: 6, clusters: 2 });
  const tasks: TaskIndex = {
    taskOf: Int32Array.from({ length: n }, (_, i) => i % 6),
    names: ["a", "b", "c", "d", "e", "f"],
  };
  return { n, train, test, tasks };
})();
