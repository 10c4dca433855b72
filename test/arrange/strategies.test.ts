import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/arrange-embeddings.js";
import { flagSpelling, STRATEGY_TABLE, strategyMistake } from "../../src/arrange/strategies.js";
import { ArrangeError } from "../../src/core/errors.js";
import { STRATEGIES } from "../../src/core/types.js";
import { validateSpec } from "../../src/experiment/spec.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { tempDir } from "../helpers/tmp.js";
import { matrix, singleTask } from "./helpers.js";

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
