import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import type { TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { randomEmbeddings, withinRoundData } from "./helpers.js";

/*
 * Every random order asserted as the exact permutation for a fixed seed, and as different from the order it
 * would be without the shuffle. Two bugs once passed the tests: RT (order random) returning the nearest-first
 * order, and --order random no longer shuffling the tasks of a schedule. Either one fails here.
 */
const gemm = createTsGemm();
const train = randomEmbeddings(10, 3, { d: 4 });
const test = randomEmbeddings(3, 4, { d: 4 });
// Tasks by row: A = [0, 1, 4, 6, 9], B = [2, 5, 8], C = [3, 7].
const tasks: TaskIndex = { taskOf: Int32Array.from([0, 0, 1, 2, 0, 1, 0, 2, 1, 0]), names: ["A", "B", "C"] };
const run = async (o: Omit<ArrangeAlgoOptions, "seed" | "gemm">) =>
  Array.from((await arrangeEmbeddings(train, test, tasks, { seed: 7, gemm, ...o })).order);
const taskRuns = (order: number[]) =>
  order.map((i) => tasks.names[tasks.taskOf[i]!]).filter((t, k, a) => k === 0 || t !== a[k - 1]);

describe("RT (order random) of the similarity strategies", () => {
  for (const [strategy, nft, rt] of [
    ["tma", [2, 5, 6, 7, 8, 1, 9, 3, 4, 0], [2, 4, 9, 5, 6, 1, 8, 0, 3, 7]],
    ["rank", [2, 8, 7, 6, 1, 0, 3, 4, 9, 5], [2, 9, 3, 8, 7, 0, 1, 5, 4, 6]],
  ] as const) {
    it(`${strategy}: the exact seeded permutation, not the nearest-first order`, async () => {
      const nearestFirst = await run({ strategy, order: "nearest-first", withinRound: "index" });
      const random = await run({ strategy, order: "random" });
      expect(nearestFirst).toEqual(nft);
      expect(random).toEqual(rt);
      expect(random).not.toEqual(nearestFirst);
      expect([...random].sort((a, b) => a - b)).toEqual([...nearestFirst].sort((a, b) => a - b));
      // Another seed, another permutation.
      const other = Array.from(
        (await arrangeEmbeddings(train, test, tasks, { strategy, order: "random", seed: 8, gemm })).order,
      );
      expect(other).not.toEqual(random);
    });
  }
});

describe("--order random of the task schedules shuffles the tasks and the rows inside them", () => {
  it("round-robin: the exact seeded permutation; the first pass takes the tasks in shuffled order", async () => {
    const input = await run({ strategy: "round-robin", order: "input" });
    const random = await run({ strategy: "round-robin", order: "random" });
    expect(input).toEqual([0, 2, 3, 1, 5, 7, 4, 8, 6, 9]);
    expect(random).toEqual([0, 3, 5, 6, 7, 8, 9, 2, 4, 1]);
    expect(random).not.toEqual(input);
    expect(random.slice(0, 3).map((i) => tasks.names[tasks.taskOf[i]!])).toEqual(["A", "C", "B"]);
  });

  it("cluster: the exact seeded permutation; the tasks in another order than first appearance", async () => {
    const input = await run({ strategy: "cluster", order: "input" });
    const random = await run({ strategy: "cluster", order: "random" });
    expect(input).toEqual([0, 1, 4, 6, 9, 2, 5, 8, 3, 7]);
    expect(random).toEqual([0, 6, 9, 4, 1, 3, 7, 5, 8, 2]);
    expect(taskRuns(input)).toEqual(["A", "B", "C"]);
    expect(taskRuns(random)).toEqual(["A", "C", "B"]);
  });

  it("random strategy: the exact seeded permutation", async () => {
    expect(await run({ strategy: "random" })).toEqual([1, 2, 8, 7, 9, 5, 4, 6, 3, 0]);
  });
});

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
  const { train, test, tasks } = withinRoundData;
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
});
