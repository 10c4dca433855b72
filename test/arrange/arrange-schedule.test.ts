import { describe, expect, it } from "vitest";
import { needsVectors } from "../../src/arrange/index.js";
import type { Strategy } from "../../src/core/types.js";
import { goSchedule as go, scheduleTasks as tasks } from "./hand-example-helpers.js";

describe("strategies that need no vectors", () => {
  it("are random, round-robin and cluster, unless --select diverse picks the rows", () => {
    for (const s of ["random", "round-robin", "cluster"] as Strategy[]) {
      expect(needsVectors({ strategy: s })).toBe(false);
      expect(needsVectors({ strategy: s, select: "diverse" })).toBe(true);
    }
    expect(needsVectors({ strategy: "tma" })).toBe(true);
    expect(needsVectors({ strategy: "rank" })).toBe(true);
  });
});

describe("task schedules with --order random", () => {
  it("random order is reproducible and keeps each schedule's shape (the exact shuffle: order.test.ts)", async () => {
    for (const strategy of ["round-robin", "cluster"] as const) {
      const a = await go({ strategy, order: "random" }, 11);
      const b = await go({ strategy, order: "random" }, 11);
      expect(Array.from(a.order)).toEqual(Array.from(b.order));
      expect([...a.order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
    // Cluster with random order still keeps each task contiguous.
    const c = await go({ strategy: "cluster", order: "random" }, 5);
    const taskSeq = Array.from(c.order, (i) => tasks.taskOf[i]);
    const runs = taskSeq.filter((t, k) => k === 0 || t !== taskSeq[k - 1]);
    expect(runs.length).toBe(3);
    // Round-robin with random order: a pass holds each task at most once.
    const rr = await go({ strategy: "round-robin", order: "random" }, 5);
    const firstPass = Array.from(rr.order.subarray(0, 3), (i) => tasks.taskOf[i]);
    expect(new Set(firstPass).size).toBe(3);
  });
});
