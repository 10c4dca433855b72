import { describe, expect, it } from "vitest";
import { selectPositions } from "../../src/arrange/budget.js";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import type { Order, Select, TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { randomEmbeddings } from "./helpers.js";

const gemm = createTsGemm();

describe("selectPositions (appendix C.3)", () => {
  it("min, max and min+max", () => {
    expect(Array.from(selectPositions(10, 4, "min"))).toEqual([0, 1, 2, 3]);
    expect(Array.from(selectPositions(10, 4, "max"))).toEqual([6, 7, 8, 9]);
    expect(Array.from(selectPositions(10, 5, "min+max"))).toEqual([0, 1, 2, 8, 9]);
    expect(Array.from(selectPositions(10, 1, "min+max"))).toEqual([0]);
    expect(Array.from(selectPositions(3, 3, "min+max"))).toEqual([0, 1, 2]);
  });
  it("rejects budgets outside 1..n with the number of rows in the fix", () => {
    for (const bad of [0, -1, 11, 2.5, Number.NaN]) {
      try {
        selectPositions(10, bad, "min");
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ArrangeError);
        expect((e as ArrangeError).code).toBe("usage");
        expect((e as ArrangeError).option).toBe("--budget");
        expect((e as ArrangeError).fix).toContain("10");
      }
    }
  });
});

describe("budgets through arrangeEmbeddings", () => {
  const n = 240;
  const train = randomEmbeddings(n, 3, { quantized: true });
  const test = randomEmbeddings(9, 4, { quantized: true });
  const tasks: TaskIndex = {
    taskOf: Int32Array.from({ length: n }, (_, i) => (i * 7) % 5),
    names: ["a", "b", "c", "d", "e"],
  };
  // Index order inside TMA rounds (the authors'), so selections can be checked against the sequence.
  const go = (o: Omit<ArrangeAlgoOptions, "seed" | "gemm">) =>
    arrangeEmbeddings(train, test, tasks, {
      seed: 5,
      gemm,
      ...(o.strategy === "tma" && o.order !== "random" ? { withinRound: "index" as const } : {}),
      ...o,
    });

  const expectedSelection = (seq: number[], M: number, select: Select): number[] => {
    if (select === "min") return seq.slice(0, M);
    if (select === "max") return seq.slice(seq.length - M);
    const head = Math.ceil(M / 2);
    return [...seq.slice(0, head), ...seq.slice(seq.length - (M - head))];
  };

  for (const strategy of ["tma", "rank"] as const) {
    for (const granularity of ["instance", "task"] as const) {
      it(`${strategy} (${granularity}): every select × order keeps exactly M rows, no duplicates`, async () => {
        const full = await go({ strategy, granularity });
        const seq = Array.from(full.order);
        const group = (k: number) => (strategy === "tma" ? full.round![k]! : full.value![k]!);
        const groupOfRow = new Map(seq.map((row, k) => [row, group(k)]));
        for (const M of [1, 2, 37, 120, 239, 240]) {
          for (const select of ["min", "max", "min+max"] as Select[]) {
            const want = expectedSelection(seq, M, select);
            for (const order of ["nearest-first", "farthest-first", "random"] as Order[]) {
              const r = await go({ strategy, granularity, budget: M, select, order });
              const got = Array.from(r.order);
              expect(got.length).toBe(M);
              expect(new Set(got).size).toBe(M);
              if (order === "nearest-first") expect(got).toEqual(want);
              else expect([...got].sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
              if (order === "farthest-first") {
                // Groups (rounds, or values) descending; ascending sequence order inside a group.
                const pos = new Map(seq.map((row, k) => [row, k]));
                for (let k = 1; k < M; k++) {
                  const g0 = groupOfRow.get(got[k - 1]!)!;
                  const g1 = groupOfRow.get(got[k]!)!;
                  expect(g0 >= g1).toBe(true);
                  if (g0 === g1) expect(pos.get(got[k - 1]!)! < pos.get(got[k]!)!).toBe(true);
                }
              }
              // Metadata stays attached to its row.
              if (r.round) for (const [k, row] of got.entries()) expect(r.round[k]).toBe(groupOfRow.get(row));
            }
          }
        }
      });
    }
  }

  it("tma budget with select min keeps only M nearest candidates per test row and matches the full run", async () => {
    const full = await go({ strategy: "tma" });
    for (const M of [1, 5, 50, 119]) {
      // M < n/2: candidate lists (m × M) instead of the n × m matrix.
      const r = await go({
        strategy: "tma",
        budget: M,
        select: "min",
        memoryLimitBytes: 9 * 8 * M + 1,
        tmaEngine: "matrix",
      });
      expect(Array.from(r.order)).toEqual(Array.from(full.order.subarray(0, M)));
      expect(Array.from(r.round!)).toEqual(Array.from(full.round!.subarray(0, M)));
      expect(Array.from(r.pickedBy!)).toEqual(Array.from(full.pickedBy!.subarray(0, M)));
      expect(Array.from(r.nearestTest)).toEqual(Array.from(full.nearestTest.subarray(0, M)));
    }
  });

  for (const strategy of ["random", "round-robin", "cluster"] as const) {
    it(`${strategy}: a budget keeps the first M of the arrangement; other selects are refused`, async () => {
      const full = await go({ strategy });
      const r = await go({ strategy, budget: 17 });
      expect(Array.from(r.order)).toEqual(Array.from(full.order.subarray(0, 17)));
      expect(r.nearestTest.length).toBe(17);
      await expect(go({ strategy, budget: 17, select: "max" })).rejects.toMatchObject({
        code: "usage",
        option: "--select",
      });
    });
  }

  it("refuses budgets outside 1..n", async () => {
    for (const budget of [0, n + 1, 3.5]) {
      await expect(go({ strategy: "tma", budget })).rejects.toMatchObject({
        code: "usage",
        option: "--budget",
      });
    }
  });
});
