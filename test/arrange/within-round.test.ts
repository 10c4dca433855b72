import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import type { TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { randomEmbeddings } from "./helpers.js";

const gemm = createTsGemm();
const n = 240;
const train = randomEmbeddings(n, 7, { d: 6, clusters: 5 });
const test = randomEmbeddings(9, 8, { d: 6, clusters: 2 });
const tasks: TaskIndex = {
  taskOf: Int32Array.from({ length: n }, (_, i) => i % 6),
  names: ["a", "b", "c", "d", "e", "f"],
};

/** The runs of equal round: [round, rows in output order]. */
function rounds(order: Int32Array, round: Int32Array): [number, number[]][] {
  const runs: [number, number[]][] = [];
  for (let k = 0; k < order.length; k++) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0] === round[k]) last[1].push(order[k]!);
    else runs.push([round[k]!, [order[k]!]]);
  }
  return runs;
}

describe("TMA --within-round", () => {
  const cases: Partial<ArrangeAlgoOptions>[] = [
    { order: "nearest-first" },
    { order: "farthest-first" },
    { order: "nearest-first", granularity: "task" },
    { order: "farthest-first", budget: 100, select: "min+max" },
  ];
  for (const c of cases) {
    it(`shuffle keeps every round's rows and the rounds' order, and shuffles inside them (${JSON.stringify(c)})`, async () => {
      const base = { strategy: "tma" as const, seed: 3, gemm, ...c };
      const byIndex = await arrangeEmbeddings(train, test, tasks, { ...base, withinRound: "index" });
      const shuffled = await arrangeEmbeddings(train, test, tasks, { ...base, withinRound: "shuffle" });
      const again = await arrangeEmbeddings(train, test, tasks, { ...base, withinRound: "shuffle" });
      const other = await arrangeEmbeddings(train, test, tasks, { ...base, withinRound: "shuffle", seed: 4 });
      expect(Array.from(again.order)).toEqual(Array.from(shuffled.order));
      const a = rounds(byIndex.order, byIndex.round!);
      const b = rounds(shuffled.order, shuffled.round!);
      expect(b.map((r) => r[0])).toEqual(a.map((r) => r[0]));
      for (let r = 0; r < a.length; r++) {
        // By index: ascending inside a round (instance granularity); shuffled: the same rows.
        if (c.granularity === undefined) expect(a[r]![1]).toEqual([...a[r]![1]].sort((x, y) => x - y));
        expect([...b[r]![1]].sort((x, y) => x - y)).toEqual([...a[r]![1]].sort((x, y) => x - y));
      }
      // Rounds of this size are shuffled with near certainty: not one of them may stay in index order.
      const big = a.filter((r) => r[1].length >= 8).map((r) => r[0]);
      expect(big.length).toBeGreaterThan(0);
      for (const round of big) {
        const i = a.findIndex((r) => r[0] === round);
        expect(b[i]![1]).not.toEqual(a[i]![1]);
      }
      expect(Array.from(other.order)).not.toEqual(Array.from(shuffled.order));
      // The value reported with each row moves with it.
      const valueByRow = new Map<number, number>();
      for (let k = 0; k < byIndex.order.length; k++) valueByRow.set(byIndex.order[k]!, byIndex.value![k]!);
      for (let k = 0; k < shuffled.order.length; k++)
        expect(shuffled.value![k]).toBe(valueByRow.get(shuffled.order[k]!));
    });
  }

  it("shuffle is the default for instance TMA nearest/farthest-first; task granularity keeps index order", async () => {
    for (const order of ["nearest-first", "farthest-first"] as const) {
      const a = await arrangeEmbeddings(train, test, tasks, { strategy: "tma", order, seed: 1, gemm });
      const b = await arrangeEmbeddings(train, test, tasks, {
        strategy: "tma",
        order,
        seed: 1,
        gemm,
        withinRound: "shuffle",
      });
      const c = await arrangeEmbeddings(train, test, tasks, {
        strategy: "tma",
        order,
        seed: 1,
        gemm,
        withinRound: "index",
      });
      expect(Array.from(a.order)).toEqual(Array.from(b.order));
      expect(Array.from(a.order)).not.toEqual(Array.from(c.order));
      const coarse = { strategy: "tma" as const, order, granularity: "task" as const, seed: 1, gemm };
      const d = await arrangeEmbeddings(train, test, tasks, coarse);
      const e = await arrangeEmbeddings(train, test, tasks, { ...coarse, withinRound: "index" });
      expect(Array.from(d.order)).toEqual(Array.from(e.order));
    }
  });

  it("is a usage error outside TMA nearest/farthest-first", async () => {
    const bad: Partial<ArrangeAlgoOptions>[] = [
      { strategy: "rank" },
      { strategy: "tma", order: "random" },
      { strategy: "cluster" },
    ];
    for (const c of bad) {
      const e = await arrangeEmbeddings(train, test, tasks, {
        strategy: "tma",
        seed: 0,
        gemm,
        ...c,
        withinRound: "shuffle",
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArrangeError);
      expect((e as ArrangeError).code).toBe("usage");
      expect((e as ArrangeError).option).toBe("--within-round");
    }
  });
});
