import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import type { Order, Strategy, TaskIndex } from "../../src/core/types.js";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { exactCosineColumns, prng, randomEmbeddings } from "./helpers.js";

const gemm = createTsGemm();

function randomTasks(n: number, seed: number, count: number): TaskIndex {
  const r = prng(seed);
  return {
    taskOf: Int32Array.from({ length: n }, () => Math.floor(r() ** 2 * count)),
    names: Array.from({ length: count }, (_, i) => `t${i}`),
  };
}

const combos: { strategy: Strategy; orders: Order[]; granularity?: "task" }[] = [
  { strategy: "random", orders: ["random"] },
  { strategy: "round-robin", orders: ["input", "random"] },
  { strategy: "cluster", orders: ["input", "random"] },
  { strategy: "rank", orders: ["nearest-first", "farthest-first", "random"] },
  { strategy: "rank", orders: ["nearest-first", "farthest-first", "random"], granularity: "task" },
  { strategy: "tma", orders: ["nearest-first", "farthest-first", "random"] },
  { strategy: "tma", orders: ["nearest-first", "farthest-first", "random"], granularity: "task" },
];

describe("every strategy and order", () => {
  for (const seed of [1, 2, 3]) {
    const n = 150 + seed * 40;
    const train = randomEmbeddings(n, seed, { d: 6, clusters: 4 });
    const test = randomEmbeddings(7 + seed, seed + 50, { d: 6, clusters: 2 });
    const tasks = randomTasks(n, seed, 9);
    const exact = exactCosineColumns(train, test);
    for (const c of combos) {
      it(`seed ${seed}: ${c.strategy}${c.granularity ? " (task)" : ""} is a reproducible permutation with correct nearest test rows`, async () => {
        for (const order of c.orders) {
          const options: ArrangeAlgoOptions = {
            strategy: c.strategy,
            seed: seed * 31,
            gemm,
            ...(c.strategy === "random" ? {} : { order }),
            ...(c.granularity ? { granularity: c.granularity } : {}),
          };
          const a = await arrangeEmbeddings(train, test, tasks, options);
          const b = await arrangeEmbeddings(train, test, tasks, options);
          expect(Array.from(a.order)).toEqual(Array.from(b.order));
          expect([...a.order].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(a.nearestTest.length).toBe(n);
          for (let k = 0; k < n; k++) {
            const row = a.order[k]!;
            let best = 0;
            for (let j = 1; j < test.rows; j++) if (exact[j]![row]! < exact[best]![row]! - 1e-6) best = j;
            expect(exact[a.nearestTest[k]!]![row]!).toBeCloseTo(exact[best]![row]!, 5);
            expect(a.nearestDistance[k]!).toBeCloseTo(exact[best]![row]!, 5);
          }
          if (c.granularity === "task") {
            // Coarse granularity keeps every task contiguous, except under a random order.
            if (order !== "random") {
              const seq = Array.from(a.order, (i) => tasks.taskOf[i]!);
              const runs = seq.filter((t, k) => k === 0 || t !== seq[k - 1]).length;
              expect(runs).toBe(new Set(seq).size);
            }
          }
          for (const [stage, seconds] of Object.entries(a.timings)) {
            expect(seconds, stage).toBeGreaterThanOrEqual(0);
          }
        }
      });
    }
  }
});

describe("engines", () => {
  it("ort and ts engines give the same TMA order on exact (quantized) data", async () => {
    const ort = await createOrtGemm();
    try {
      for (const seed of [1, 2, 3]) {
        const train = randomEmbeddings(1500, seed, { quantized: true });
        const test = randomEmbeddings(40, seed + 9, { quantized: true });
        const tasks = randomTasks(1500, seed, 12);
        for (const o of [
          { strategy: "tma" },
          { strategy: "tma", pick: "farthest" },
          { strategy: "rank", measure: "cos-avg" },
        ] as Partial<ArrangeAlgoOptions>[]) {
          const a = await arrangeEmbeddings(train, test, tasks, {
            seed: 1,
            gemm,
            ...o,
          } as ArrangeAlgoOptions);
          const b = await arrangeEmbeddings(train, test, tasks, {
            seed: 1,
            gemm: ort,
            ...o,
          } as ArrangeAlgoOptions);
          expect(Array.from(b.order)).toEqual(Array.from(a.order));
        }
      }
    } finally {
      await ort.dispose();
    }
  });

  it("creates and disposes its own engine when none is given", async () => {
    const train = randomEmbeddings(30, 1, { d: 4 });
    const test = randomEmbeddings(4, 2, { d: 4 });
    const r = await arrangeEmbeddings(
      train,
      test,
      { taskOf: new Int32Array(30), names: ["a"] },
      { strategy: "tma", seed: 1 },
    );
    expect(r.order.length).toBe(30);
  });
});
