import { describe, expect, it } from "vitest";
import { goSchedule as go } from "./hand-example-helpers.js";

describe("round-robin on the task schedules' example", () => {
  it("round-robin: one example of each task per pass; tasks that run out drop out", async () => {
    expect(Array.from((await go({ strategy: "round-robin" })).order)).toEqual([0, 2, 3, 1, 5, 4, 6]);
  });
});
