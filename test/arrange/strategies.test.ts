import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/arrange-embeddings.js";
import { flagSpelling, STRATEGY_TABLE, strategyMistake } from "../../src/arrange/strategies.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import { STRATEGIES } from "../../src/core/types.js";
import { validateSpec } from "../../src/experiment/spec.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { tempDir } from "../helpers/tmp.js";
import { failure, arrangeSmall as go, matrix, singleTask, withinRoundData } from "./helpers.js";

const gemm = createTsGemm();

const train = matrix([
  [1, 0],
  [0, 1],
  [1, 1],
]);
const test = matrix([[1, 0.2]]);

describe("the strategy table", () => {
  it("has one entry per strategy, named as the strategy", () => {
    expect(Object.keys(STRATEGY_TABLE).sort()).toEqual([...STRATEGIES].sort());
    for (const s of STRATEGIES) expect(STRATEGY_TABLE[s].name).toBe(s);
  });

  it("rank with pick nearest is valid for the library and for arrange() alike (it failed in arrange())", async () => {
    expect(strategyMistake({ strategy: "rank", pick: "nearest" }, flagSpelling)).toBeUndefined();
    const r = await arrangeEmbeddings(train, test, singleTask(3), {
      strategy: "rank",
      pick: "nearest",
      seed: 0,
      gemm,
    });
    expect(r.order.length).toBe(3);
    // arrange() checks the options before reading anything: with the old rules this threw
    // "--pick applies to --strategy tma, not rank" before it could complain about the missing data.
    const dir = await tempDir();
    const e = await arrange({
      strategy: "rank",
      pick: "nearest",
      train: `${dir}/none.jsonl`,
      test: `${dir}/none.jsonl`,
      out: `${dir}/o.jsonl`,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ArrangeError);
    expect((e as ArrangeError).option).not.toBe("--pick");
  });

  it("one wording per mistake: the library, arrange() and the spec say the same sentence", async () => {
    const lib = await arrangeEmbeddings(train, test, singleTask(3), {
      strategy: "rank",
      pick: "farthest",
      seed: 0,
      gemm,
    }).then(
      () => undefined,
      (x: unknown) => x as ArrangeError,
    );
    const dir = await tempDir();
    const pipe = await arrange({
      strategy: "rank",
      pick: "farthest",
      train: `${dir}/t.jsonl`,
      test: `${dir}/t.jsonl`,
      out: `${dir}/o.jsonl`,
    }).then(
      () => undefined,
      (x: unknown) => x as ArrangeError,
    );
    expect(lib?.message).toBe("--pick farthest applies to --strategy tma only (got --strategy rank)");
    expect(pipe?.message).toBe(lib?.message);
    expect(pipe?.fix).toBe(lib?.fix);
    let spec: ArrangeError | undefined;
    try {
      validateSpec({ name: "x", arms: [{ label: "A", strategy: "tma", measure: "wsd" }] }, "spec.yaml");
    } catch (x) {
      spec = x as ArrangeError;
    }
    const libMeasure = await arrangeEmbeddings(train, test, singleTask(3), {
      strategy: "tma",
      measure: "wsd",
      seed: 0,
      gemm,
    }).then(
      () => undefined,
      (x: unknown) => x as ArrangeError,
    );
    expect(libMeasure?.message).toBe("--measure applies to --strategy rank only (got --strategy tma)");
    // The spec spells options as its fields, otherwise the same sentence.
    expect(spec?.message).toBe(
      "experiment spec: arm 0 (A): measure applies to strategy rank only (got strategy tma)",
    );
    expect(spec?.fix).toBe(libMeasure?.fix?.replace(/--/g, ""));
  });

  it("random takes no order other than its own shuffle", () => {
    expect(strategyMistake({ strategy: "random", order: "random" }, flagSpelling)).toBeUndefined();
    const m = strategyMistake({ strategy: "random", order: "nearest-first" }, flagSpelling);
    expect(m?.option).toBe("order");
    expect(m?.fix).toBe("Drop --order: --strategy random shuffles every row.");
  });
});

describe("bad options", () => {
  it("schedule orders: nearest-first / farthest-first are refused with the valid values", async () => {
    for (const strategy of ["round-robin", "cluster"] as const) {
      const e = await failure(go({ strategy, order: "nearest-first" }));
      expect(e.code).toBe("usage");
      expect(e.option).toBe("--order");
      expect(e.fix).toBe("Expected one of: input, random.");
    }
  });
  it("similarity orders: input is refused", async () => {
    const e = await failure(go({ strategy: "rank", order: "input" }));
    expect(e.fix).toBe("Expected one of: nearest-first, farthest-first, random.");
  });
  it("unknown strategy, measure, granularity, pick, select", async () => {
    for (const o of [
      { strategy: "nearest" },
      { strategy: "rank", measure: "cosine" },
      { granularity: "dataset" },
      { pick: "middle" },
      { select: "all", budget: 3 },
    ] as unknown as Partial<ArrangeAlgoOptions>[]) {
      const e = await failure(go(o));
      expect(e.code).toBe("usage");
      expect(e.fix).toMatch(/^Expected one of: /);
    }
  });
  it("options that do not apply to the strategy", async () => {
    expect((await failure(go({ strategy: "tma", measure: "wsd" }))).option).toBe("--measure");
    expect((await failure(go({ strategy: "cluster", granularity: "task" }))).option).toBe("--granularity");
    expect((await failure(go({ strategy: "rank", pick: "farthest" }))).option).toBe("--pick");
    expect((await failure(go({ strategy: "tma", select: "max" }))).option).toBe("--select");
  });
  it("the error text a user reads", async () => {
    const e = await failure(go({ strategy: "round-robin", order: "farthest-first" }));
    expect(e.describe()).toBe(
      '--order "farthest-first" is not valid for --strategy round-robin (a task schedule)\n  fix: Expected one of: input, random.',
    );
  });
});

describe("--within-round outside TMA nearest/farthest-first", () => {
  const { train, test, tasks } = withinRoundData;
  it("is a usage error outside TMA nearest/farthest-first", async () => {
    const bad: Partial<ArrangeAlgoOptions>[] = [
      { strategy: "rank" },
      { strategy: "tma", order: "random" },
      { strategy: "cluster" },
    ];
    for (const c of bad) {
      const e = await arrangeEmbeddings(train, test, tasks, {
        strategy: "tma",
        seed: 0,
        gemm,
        ...c,
        withinRound: "shuffle",
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArrangeError);
      expect((e as ArrangeError).code).toBe("usage");
      expect((e as ArrangeError).option).toBe("--within-round");
    }
  });
});
