import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  exactOverlapError,
  findExactOverlap,
  nearDuplicates,
  setHash,
  withoutRows,
} from "../../src/data/overlap.js";
import { readDataset } from "../../src/data/read.js";
import { textHash } from "../../src/data/text-hash.js";
import { jsonl, put, tempDir } from "./util.js";

const root = await tempDir();

function hashOf(text: string): [number, number] {
  const out = new Uint32Array(2);
  textHash(text, out, 0);
  return [out[0]!, out[1]!];
}

describe("text hash", () => {
  it("ignores whitespace runs and ends, not case or other characters", () => {
    expect(hashOf("a  b\n\tc ")).toEqual(hashOf("a b c"));
    expect(hashOf("\u00a0a b\u3000")).toEqual(hashOf("a b"));
    expect(hashOf("a b")).not.toEqual(hashOf("ab"));
    expect(hashOf("a b")).not.toEqual(hashOf("A b"));
    expect(hashOf("")).not.toEqual(hashOf("a"));
  });

  it("separates a thousand near strings", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(hashOf(`row ${i} of the set`).join(","));
    expect(seen.size).toBe(1000);
  });
});

describe("exact overlap", () => {
  it("finds training rows equal to a test row, whitespace aside, confirmed on the texts", async () => {
    const d = join(root, "o1");
    await mkdir(d);
    const train = await put(
      d,
      "train.jsonl",
      jsonl([
        { instruction: "Say hi", output: "hi" },
        { instruction: "Say  hi ", output: "hi\n" },
        { instruction: "Say bye", output: "bye" },
        { instruction: "say hi", output: "hi" },
      ]),
    );
    const test = await put(d, "test.jsonl", jsonl([{ instruction: "Say hi", output: "hi" }]));
    const tr = await readDataset(train);
    const te = await readDataset(test);
    const o = await findExactOverlap(tr, te);
    expect(Array.from(o.trainRows)).toEqual([0, 1]);
    expect(Array.from(o.testRows)).toEqual([0, 0]);
    expect(o.sharedFiles).toEqual([]);
    const e = exactOverlapError(tr, te, o);
    expect(e.code).toBe("input");
    expect(e.message).toContain(`${train}:1 = ${test}:1`);
    expect(e.message).toContain(`${train}:2 = ${test}:1`);
    expect(e.fix).toContain("--overlap drop");
    // Without texts in memory the hashes decide, with the same result.
    const tr2 = await readDataset(train, { texts: false });
    const te2 = await readDataset(test, { texts: false });
    expect(Array.from((await findExactOverlap(tr2, te2)).trainRows)).toEqual([0, 1]);
  });

  it("names a test file inside the training directory, and the same path given twice", async () => {
    const d = join(root, "o2");
    await mkdir(d);
    await put(d, "a.jsonl", jsonl([{ text: "alpha" }]));
    const t = await put(d, "held.jsonl", jsonl([{ text: "held out" }]));
    const o = await findExactOverlap(await readDataset(d), await readDataset(t));
    expect(o.sharedFiles).toEqual([{ test: t, train: t, how: `it is inside the training directory ${d}` }]);
    const same = await findExactOverlap(await readDataset(d), await readDataset(d));
    expect(same.sharedFiles[0]!.how).toBe("the same path is given as both training and test set");
  });

  it("withoutRows keeps ordinals and drops tasks left without rows", async () => {
    const d = join(root, "o3");
    await mkdir(d);
    await put(d, "a.jsonl", jsonl([{ text: "a1" }, { text: "a2" }]));
    await put(d, "b.jsonl", jsonl([{ text: "b1" }]));
    const ds = await readDataset(d);
    const w = withoutRows(ds, Int32Array.from([0, 2]));
    expect(w.count).toBe(1);
    expect(w.texts).toEqual(["a2"]);
    expect(Array.from(w.refs.ordinal)).toEqual([1]);
    expect(w.tasks.names).toEqual(["a"]);
    expect(Array.from(w.tasks.taskOf)).toEqual([0]);
    expect(w.textHashes.length).toBe(2);
  });

  it("setHash is the same for the same rows in any order and differs for other rows", async () => {
    const d = join(root, "o4");
    await mkdir(d);
    const a = await put(d, "a.jsonl", jsonl([{ text: "x" }, { text: "y" }, { text: "z" }]));
    const b = await put(d, "b.jsonl", jsonl([{ text: "z" }, { text: "x" }, { text: "y" }]));
    const c = await put(d, "c.jsonl", jsonl([{ text: "z" }, { text: "x" }, { text: "w" }]));
    const [ha, hb, hc] = await Promise.all([a, b, c].map(async (p) => setHash(await readDataset(p))));
    expect(ha).toBe(hb);
    expect(ha).not.toBe(hc);
  });
});

describe("near duplicates", () => {
  it("counts rows at or above the threshold per test task, with the first position", async () => {
    const d = join(root, "o5");
    await mkdir(d);
    const tr = await readDataset(
      await put(d, "tr.jsonl", jsonl([{ text: "a" }, { text: "b" }, { text: "c" }])),
    );
    const td = join(d, "te");
    await mkdir(td);
    await put(td, "t1.jsonl", jsonl([{ text: "x" }]));
    await put(td, "t2.jsonl", jsonl([{ text: "y" }]));
    const te = await readDataset(td);
    const r = nearDuplicates(tr, te, [2, 0, 1], [1, 0, 1], [-0.99, -0.5, -0.95], 0.95);
    expect(r.count).toBe(2);
    expect(r.firstPosition).toBe(0);
    expect(r.byTestTask.map((t) => [t.task, t.count])).toEqual([["t2", 2]]);
    expect(r.byTestTask[0]!.examples[0]!.similarity).toBe(0.99);
  });
});
