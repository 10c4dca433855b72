import { describe, expect, it } from "vitest";
import type { Matrix, TaskIndex } from "../../src/core/types.js";
import {
  failure,
  arrangeSmall as go,
  randomEmbeddings,
  singleTask,
  smallTest as test,
  smallTrain as train,
} from "./helpers.js";

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
