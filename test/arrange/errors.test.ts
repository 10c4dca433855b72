import { describe, expect, it } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import { ArrangeError } from "../../src/core/errors.js";
import type { Matrix, TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix, randomEmbeddings, singleTask } from "./helpers.js";

const gemm = createTsGemm();
const train = randomEmbeddings(20, 1, { d: 4 });
const test = randomEmbeddings(3, 2, { d: 4 });

async function failure(p: Promise<unknown>): Promise<ArrangeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ArrangeError);
    return e as ArrangeError;
  }
  throw new Error("expected an ArrangeError");
}

const go = (
  o: Partial<ArrangeAlgoOptions>,
  tr: Matrix = train,
  te: Matrix = test,
  tasks: TaskIndex = singleTask(tr.rows),
) => arrangeEmbeddings(tr, te, tasks, { strategy: "tma", seed: 1, gemm, ...o } as ArrangeAlgoOptions);

describe("bad embeddings", () => {
  it("different dimensions", async () => {
    const e = await failure(go({}, train, randomEmbeddings(3, 2, { d: 5 })));
    expect(e.code).toBe("embeddings");
    expect(e.message).toContain("4");
    expect(e.message).toContain("5");
  });
  it("empty train or test set", async () => {
    const empty: Matrix = { data: new Float32Array(0), rows: 0, cols: 4 };
    expect((await failure(go({}, train, empty))).code).toBe("input");
    expect((await failure(go({}, empty, test, singleTask(0)))).code).toBe("input");
  });
  it("NaN or Infinity names the row", async () => {
    const bad = { ...train, data: train.data.slice() };
    bad.data[3 * 4 + 2] = Number.NaN;
    const e = await failure(go({}, bad));
    expect(e.code).toBe("embeddings");
    expect(e.line).toBe(4);
    expect(e.message).toContain("train embedding row 4");
    const badTest = { ...test, data: test.data.slice() };
    badTest.data[1] = Number.POSITIVE_INFINITY;
    const e2 = await failure(go({ strategy: "random" }, train, badTest));
    expect(e2.message).toContain("test embedding row 1");
  });
  it("data length not rows × cols", async () => {
    const e = await failure(go({}, { data: new Float32Array(7), rows: 2, cols: 4 }));
    expect(e.code).toBe("embeddings");
  });
  it("task index of the wrong length or with unknown task ids", async () => {
    expect((await failure(go({}, train, test, singleTask(19)))).code).toBe("input");
    const tasks: TaskIndex = { taskOf: new Int32Array(20).fill(2), names: ["a", "b"] };
    const e = await failure(go({ strategy: "cluster" }, train, test, tasks));
    expect(e.code).toBe("input");
    expect(e.line).toBe(1);
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
  it("a seed that is not an integer", async () => {
    expect((await failure(go({ seed: 1.5 }))).option).toBe("--seed");
  });
  it("a memory limit too small for one block of TMA distances names --memory-limit and the fix", async () => {
    const e = await failure(go({ memoryLimitBytes: 100 }));
    expect(e.code).toBe("usage");
    expect(e.option).toBe("--memory-limit");
    expect(e.message).toContain("20 rows × 3 test rows");
    expect(e.fix).toContain("raise --memory-limit");
  });
  it("the matrix engine over the memory limit says how to get under it", async () => {
    const e = await failure(go({ memoryLimitBytes: 100, tmaEngine: "matrix" }));
    expect(e.code).toBe("usage");
    expect(e.message).toContain("20 training rows × 3 test rows");
    expect(e.fix).toContain("streaming engine");
    // Candidate lists for a budget are checked against the limit too.
    const e2 = await failure(go({ budget: 5, select: "min", memoryLimitBytes: 100, tmaEngine: "matrix" }));
    expect(e2.message).toContain("5 nearest");
  });
  it("the error text a user reads", async () => {
    const e = await failure(go({ strategy: "round-robin", order: "farthest-first" }));
    expect(e.describe()).toBe(
      '--order "farthest-first" is not valid for --strategy round-robin (a task schedule)\n  fix: Expected one of: input, random.',
    );
  });
});

describe("degenerate but valid inputs", () => {
  it("zero vectors have cosine 0 to everything", async () => {
    const tr = matrix([
      [0, 0],
      [1, 0],
    ]);
    const r = await arrangeEmbeddings(tr, matrix([[-1, 0]]), singleTask(2), {
      strategy: "tma",
      seed: 1,
      gemm,
    });
    // d(row 0) = 0, d(row 1) = 1: row 0 first.
    expect(Array.from(r.order)).toEqual([0, 1]);
  });
  it("WSD with mean cosine-min 0 falls back to w = 1 and says so", async () => {
    // Train rows orthogonal to the single test point: every cosine is 0.
    const tr = matrix([
      [0, 1],
      [0, -1],
    ]);
    const r = await arrangeEmbeddings(tr, matrix([[1, 0]]), singleTask(2), {
      strategy: "rank",
      seed: 1,
      gemm,
    });
    expect(r.wsdWeight).toBe(1);
    expect(r.warnings?.join("\n")).toContain("w = 1");
  });
});
