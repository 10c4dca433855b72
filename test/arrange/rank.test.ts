import { describe, expect, it } from "vitest";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import type { TaskIndex } from "../../src/core/types.js";
import { close, run } from "./hand-example-helpers.js";

describe("rank on the 2-D example", () => {
  const cases: [ArrangeAlgoOptions["measure"], number[], number[]][] = [
    // measure, nearest-first order, farthest-first order (ties ascending in both)
    ["cos-min", [1, 0, 2, 5, 3, 4], [3, 4, 5, 0, 2, 1]],
    ["cos-avg", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    ["cos-max", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    ["cos-centroid", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    ["wsd", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
    // Euclidean on unit vectors: sqrt(2 − 2cos); min: 0.632, 0, 0.632, 1.414, 1.414, 0.894.
    ["euc-min", [1, 0, 2, 5, 3, 4], [3, 4, 5, 0, 2, 1]],
    // max: sqrt(2 + 2·max distance): 1.265, 1.414, 1.265, 2, 2, 1.897.
    ["euc-max", [0, 2, 1, 5, 3, 4], [3, 4, 5, 1, 0, 2]],
  ];
  for (const [measure, nf, ff] of cases) {
    it(`${measure}: ascending, descending, ties by the lower index`, async () => {
      const a = await run({ strategy: "rank", measure });
      expect(Array.from(a.order)).toEqual(nf);
      const b = await run({ strategy: "rank", measure, order: "farthest-first" });
      expect(Array.from(b.order)).toEqual(ff);
    });
  }

  it("values and the WSD weight", async () => {
    const wsd = await run({ strategy: "rank" });
    expect(wsd.wsdWeight).toBeCloseTo(0.25, 6);
    close(wsd.value, [-0.9, -0.9, -0.75, -0.05, 0.5, 0.5]);
    const avg = await run({ strategy: "rank", measure: "cos-avg" });
    close(avg.value, [-0.7, -0.7, -0.5, 0.1, 0.5, 0.5]);
    expect(avg.wsdWeight).toBeUndefined();
    const cen = await run({ strategy: "rank", measure: "cos-centroid" });
    const s = Math.SQRT1_2;
    close(cen.value, [-1.4 * s, -1.4 * s, -s, 0.2 * s, s, s]);
    const emin = await run({ strategy: "rank", measure: "euc-min" });
    close(emin.value, [0, Math.sqrt(0.4), Math.sqrt(0.4), Math.sqrt(0.8), Math.SQRT2, Math.SQRT2]);
    const eavg = await run({ strategy: "rank", measure: "euc-avg" });
    // Row 1: (0 + sqrt 2)/2; rows 0, 2: (sqrt 0.8 + sqrt 0.4)/2.
    expect(Array.from(eavg.order).slice(0, 3)).toEqual([1, 0, 2]);
    close(eavg.value?.subarray(0, 2), [Math.SQRT2 / 2, (Math.sqrt(0.8) + Math.sqrt(0.4)) / 2]);
  });

  it("task granularity ranks task means (cos-avg: C, A, B)", async () => {
    // Task cos-avg: A (0.447 − 0.894)/2 = −0.224, B 0, C (−0.990 + 0.141)/2 = −0.424.
    const tasks: TaskIndex = { taskOf: Int32Array.from([0, 1, 2, 0, 1, 2]), names: ["A", "B", "C"] };
    const r = await run({ strategy: "rank", measure: "cos-avg", granularity: "task" }, tasks);
    expect(Array.from(r.order)).toEqual([2, 5, 0, 3, 1, 4]);
    close(r.value, [-0.424264, -0.424264, -0.223607, -0.223607, 0, 0]);
    const ff = await run(
      { strategy: "rank", measure: "cos-avg", granularity: "task", order: "farthest-first" },
      tasks,
    );
    expect(Array.from(ff.order)).toEqual([1, 4, 0, 3, 2, 5]);
  });
});
