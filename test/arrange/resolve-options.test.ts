import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { failure, arrangeSmall as go, withinRoundData } from "./helpers.js";

const gemm = createTsGemm();

describe("seed", () => {
  it("a seed that is not an integer", async () => {
    expect((await failure(go({ seed: 1.5 }))).option).toBe("--seed");
  });
});

describe("the --within-round default", () => {
  const { train, test, tasks } = withinRoundData;
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
});
