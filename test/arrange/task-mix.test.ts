import { describe, expect, it } from "vitest";
import { taskMix } from "../../src/arrange/task-mix.js";

describe("task mix of the first batches", () => {
  it("counts distinct tasks per batch and the exact random-order expectation", () => {
    // 4 tasks of 8 rows, in task order: every batch of 4 holds one task.
    const taskOf = Int32Array.from({ length: 32 }, (_, i) => Math.floor(i / 8));
    const order = Array.from({ length: 32 }, (_, i) => i);
    const m = taskMix(order, taskOf, 4, 100)!;
    expect(m.batches).toBe(8);
    expect(m.meanDistinct).toBe(1);
    expect(m.minDistinct).toBe(1);
    // E = 4 · (1 − C(24,4)/C(32,4)) = 4 · (1 − 10626/35960)
    expect(m.randomMean).toBeCloseTo(4 * (1 - 10626 / 35960), 3);
    const mixed = Array.from({ length: 32 }, (_, i) => (i % 4) * 8 + Math.floor(i / 4));
    expect(taskMix(mixed, taskOf, 4)!.meanDistinct).toBe(4);
  });

  it("uses only the first maxBatches full batches, and none when there is no full batch", () => {
    const taskOf = Int32Array.from([0, 1, 0, 1, 2, 2, 2]);
    const m = taskMix([0, 1, 2, 3, 4, 5, 6], taskOf, 2, 2)!;
    expect(m.batches).toBe(2);
    expect(m.meanDistinct).toBe(2);
    expect(taskMix([0, 1], taskOf, 16)).toBeUndefined();
  });
});
