import { describe, expect, it } from "vitest";
import { goSchedule as go } from "./hand-example-helpers.js";

describe("random strategy on the task schedules' example", () => {
  it("random strategy: a seeded permutation; different seeds differ", async () => {
    const a = await go({ strategy: "random" }, 1);
    const b = await go({ strategy: "random" }, 1);
    const c = await go({ strategy: "random" }, 2);
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect([...a.order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(a.order)).not.toEqual(Array.from(c.order));
    expect(a.round).toBeUndefined();
    expect(a.nearestTest.length).toBe(7);
  });
});
