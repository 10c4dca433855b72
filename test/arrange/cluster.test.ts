import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { TaskIndex } from "../../src/core/types.js";
import { gemm, goSchedule as go, test, scheduleTrain as tr } from "./hand-example-helpers.js";

describe("cluster on the task schedules' example", () => {
  it("cluster: each task's examples contiguous, in order of first appearance", async () => {
    expect(Array.from((await go({ strategy: "cluster" })).order)).toEqual([0, 1, 4, 6, 2, 5, 3]);
  });

  it("task order follows first appearance, not the names' order", async () => {
    const renamed: TaskIndex = { taskOf: Int32Array.from([2, 2, 0, 1, 2, 0, 2]), names: ["B", "C", "A"] };
    const r = await arrangeEmbeddings(tr, test, renamed, { strategy: "cluster", seed: 1, gemm });
    expect(Array.from(r.order)).toEqual([0, 1, 4, 6, 2, 5, 3]);
  });
});
