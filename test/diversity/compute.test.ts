import { describe, expect, it } from "vitest";
import { computeDiversity, defaultClusters } from "../../src/diversity/compute.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix } from "../arrange/helpers.js";

const gemm = createTsGemm();

describe("computeDiversity", () => {
  it("per task: a task of one repeated direction has distance 0 and Vendi 1; the default k", async () => {
    const m = matrix([
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ]);
    const tasks = { taskOf: Int32Array.of(0, 0, 0, 1, 1, 1), names: ["same", "spread"] };
    const r = await computeDiversity(m, tasks, { gemm, clusters: 4, seed: 0 });
    expect(r.perTask.same!.meanPairwiseCosineDistance).toBeCloseTo(0, 9);
    expect(r.perTask.same!.vendi).toBeCloseTo(1, 6);
    expect(r.perTask.same!.clusters.used).toBe(1);
    // (0,1), (-1,0), (0,-1): pair distances 1, 2, 1 -> 4/3; all four directions are their own cluster.
    expect(r.perTask.spread!.meanPairwiseCosineDistance).toBeCloseTo(4 / 3, 9);
    expect(r.perTask.spread!.clusters.used).toBe(3);
    expect(r.overall.clusters.used).toBe(4);
    expect(r.overall.clusters.sizes.slice().sort()).toEqual([1, 1, 1, 3]);
    expect(defaultClusters(55_185)).toBe(166);
    expect(defaultClusters(1)).toBe(1);
    expect(defaultClusters(3)).toBe(2);
  });
});
