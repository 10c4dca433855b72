import { afterEach, describe, expect, it } from "vitest";
import { runTma } from "../../src/arrange/tma-engine.js";

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
