import { afterEach, describe, expect, it } from "vitest";
import { runTma, type TmaRun } from "../../src/arrange/tma-engine.js";
import { prng, referenceTma } from "./helpers.js";

/** Random keys, test-major; `levels` > 0 quantizes to that many values to force ties. */
function randomColumns(n: number, m: number, seed: number, levels: number): Float32Array[] {
  const rand = prng(seed);
  const cols: Float32Array[] = [];
  for (let j = 0; j < m; j++) {
    const c = new Float32Array(n);
    for (let i = 0; i < n; i++) c[i] = levels > 0 ? Math.floor(rand() * levels) / levels : rand() * 2 - 1;
    cols.push(c);
  }
  return cols;
}

const clone = (cols: Float32Array[]) => cols.map((c) => c.slice());

function expectMatchesReference(run: TmaRun, cols: Float32Array[], n: number, stopAfter = n): void {
  const ref = referenceTma(cols, n, false, stopAfter);
  const flat = ref.rounds.flat();
  expect(Array.from(run.sequence)).toEqual(flat);
  expect(run.roundSizes).toEqual(ref.rounds.map((r) => r.length));
  const rounds = ref.rounds.flatMap((r, k) => r.map(() => k + 1));
  expect(Array.from(run.round)).toEqual(rounds);
  expect(Array.from(run.pickedBy)).toEqual(flat.map((i) => ref.pickedBy.get(i)));
  expect(Array.from(run.key)).toEqual(flat.map((i) => ref.value.get(i)));
}

describe("runTma against the O(rounds·n·m) reference", () => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 7],
    [7, 1],
    [5, 30],
    [30, 5],
    [64, 64],
    [200, 3],
    [500, 40],
    [2000, 7],
    [3000, 25],
  ];
  for (const [n, m] of shapes) {
    for (const levels of [0, 4, 50]) {
      it(`n=${n} m=${m} ${levels ? `quantized to ${levels} levels` : "continuous"} (6 seeds)`, () => {
        for (let seed = 1; seed <= 6; seed++) {
          const cols = randomColumns(n, m, seed * 1000 + n + m, levels);
          const run = runTma({ kind: "columns", n, columns: clone(cols) });
          expect(run.complete).toBe(true);
          expectMatchesReference(run, cols, n);
        }
      });
    }
  }

  it("tiny buffers force many refills and heap fallbacks and stay exact", () => {
    let fallbacks = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const n = 300 + seed * 37;
      const m = 1 + (seed % 9);
      const cols = randomColumns(n, m, seed, seed % 2 === 0 ? 6 : 0);
      const run = runTma(
        { kind: "columns", n, columns: clone(cols) },
        { initialCapacity: 1, bufferBytes: 8 * m * (1 + (seed % 5)) },
      );
      expect(run.stats.refills).toBeGreaterThan(m);
      fallbacks += run.stats.fallbacks;
      expectMatchesReference(run, cols, n);
    }
    expect(fallbacks).toBeGreaterThan(0);
  });

  it("long columns (sampled thresholds, band filter) stay exact, with and without ties", () => {
    for (let seed = 1; seed <= 4; seed++) {
      const n = 6000 + seed * 511;
      const m = 2 + seed * 2;
      for (const levels of [0, 7, 300]) {
        const cols = randomColumns(n, m, seed * 31 + levels, levels);
        const run = runTma({ kind: "columns", n, columns: clone(cols) }, { initialCapacity: 16 + seed * 50 });
        expectMatchesReference(run, cols, n);
      }
    }
  });

  it("compacts its columns as units are taken and stays exact", () => {
    const n = 30000;
    const cols = randomColumns(n, 40, 5, 0);
    const run = runTma({ kind: "columns", n, columns: clone(cols) }, { initialCapacity: 8 });
    expect(run.stats.compactions).toBeGreaterThan(0);
    expectMatchesReference(run, cols, n);
  });

  it("stopAfter ends after the round that reaches it", () => {
    const n = 400;
    const cols = randomColumns(n, 13, 7, 9);
    const run = runTma({ kind: "columns", n, columns: clone(cols) }, { stopAfter: 50 });
    expect(run.complete).toBe(false);
    expect(run.sequence.length).toBeGreaterThanOrEqual(50);
    expect(run.sequence.length - run.roundSizes.at(-1)!).toBeLessThan(50);
    expectMatchesReference(run, cols, n, 50);
  });

  it("candidate lists of the M nearest give the exact first rounds up to M", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const n = 500;
      const m = 3 + seed;
      const M = 10 + seed * 17;
      const cols = randomColumns(n, m, seed + 77, seed % 2 === 0 ? 5 : 0);
      const lists = cols.map((c) => {
        const ids = Array.from({ length: n }, (_, i) => i).sort((a, b) => c[a]! - c[b]! || a - b);
        const top = ids.slice(0, M);
        return { keys: Float32Array.from(top, (i) => c[i]!), ids: Int32Array.from(top) };
      });
      const run = runTma({ kind: "candidates", n, lists }, { stopAfter: M });
      expectMatchesReference(run, cols, n, M);
    }
  });

  it("every row appears exactly once", () => {
    const n = 1500;
    const run = runTma({ kind: "columns", n, columns: randomColumns(n, 11, 3, 3) });
    const seen = new Uint8Array(n);
    for (const i of run.sequence) seen[i]!++;
    expect(seen.every((c) => c === 1)).toBe(true);
    expect(run.roundSizes.reduce((a, b) => a + b, 0)).toBe(n);
  });
});

const NAMES = ["Int32Array", "Float32Array", "Float64Array", "Uint8Array"] as const;
const saved = new Map<string, unknown>();
let bytes = 0;

/** Counts the bytes of every typed array the code under test allocates (views of a buffer are not counted). */
function countAllocations(): void {
  bytes = 0;
  for (const name of NAMES) {
    const Base = globalThis[name] as unknown as new (...a: unknown[]) => ArrayBufferView;
    saved.set(name, Base);
    (globalThis as Record<string, unknown>)[name] = class extends Base {
      constructor(...a: unknown[]) {
        super(...a);
        if (typeof a[0] === "number") bytes += this.byteLength;
      }
    };
  }
}

function restore(): void {
  for (const [name, Base] of saved) (globalThis as Record<string, unknown>)[name] = Base;
  saved.clear();
}

// Also when an expectation fails before the test restores them.
afterEach(restore);

// Fault cases G04/G05 (32M rows with the default strategy): the engine's per-unit state is part of the
// bytes a row that TMA costs. It kept a round stamp, the pick's key and its test row per unit and then
// copied the last two into sequence order (74.6 bytes a unit here); now a round's picks are deduplicated by
// sorting and written in sequence order at once (62.6: taken flag 1, sequence, round, key, picked-by 16,
// the rest is the candidate buffers and selection scratch, sized by initialCapacity).
describe("runTma memory per unit", () => {
  it("allocates at most 66 bytes of typed arrays per unit (n = 8192, m = 4, one refill per test row)", () => {
    const n = 8192;
    const m = 4;
    let s = 1;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const columns = Array.from({ length: m }, () => Float32Array.from({ length: n }, rnd));
    countAllocations();
    const run = runTma({ kind: "columns", n, columns }, { initialCapacity: n });
    const perUnit = bytes / n;
    restore();
    expect(run.sequence.length).toBe(n);
    expect(new Set(run.sequence).size).toBe(n);
    expect(perUnit).toBeGreaterThan(17);
    expect(perUnit).toBeLessThanOrEqual(66);
  });
});
