import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/data/npy.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { tempDir } from "../helpers/tmp.js";

// Training rows on the unit circle (exact coordinates): r0 0°, r1 5°, r2 90°, r3 180°, r4 (0.6, 0.8), r5 (0.8, -0.6).
// One test row t0 = (1, 0), so the relevance of a row (cosine to t0) is its x coordinate.
const c5 = Math.cos((5 * Math.PI) / 180);
const s5 = Math.sin((5 * Math.PI) / 180);
const TRAIN = [
  [1, 0],
  [c5, s5],
  [0, 1],
  [-1, 0],
  [0.6, 0.8],
  [0.8, -0.6],
];

async function setup() {
  const dir = await tempDir("diverse-");
  const lines = TRAIN.map((_, i) =>
    JSON.stringify({ instruction: `row ${i}`, output: `a ${i}`, task: i < 3 ? "a" : "b" }),
  );
  await writeFile(join(dir, "train.jsonl"), `${lines.join("\n")}\n`);
  await writeFile(join(dir, "test.jsonl"), `${JSON.stringify({ prompt: "t", completion: "c" })}\n`);
  await writeNpy(join(dir, "train.npy"), { data: Float32Array.from(TRAIN.flat()), rows: 6, cols: 2 });
  await writeNpy(join(dir, "test.npy"), { data: Float32Array.of(1, 0), rows: 1, cols: 2 });
  const opts = {
    train: join(dir, "train.jsonl"),
    test: join(dir, "test.jsonl"),
    trainEmbeddings: join(dir, "train.npy"),
    testEmbeddings: join(dir, "test.npy"),
    engine: "ts" as const,
  };
  return { dir, lines, opts };
}

describe("arrange --select diverse (hand-computed on the unit circle)", () => {
  it("k-center from the row nearest the centroid, in selection order", async () => {
    // Mean of the rows ∝ (2.396, 1.287): r1 has the largest dot with it (2.499 vs r4 2.467, r0 2.396): start r1.
    // Farthest from r1: r3 (cos −0.996). Then redundancies max(cos to r1, cos to r3): r0 0.996, r2 0.087,
    // r4 0.667, r5 0.745 -> r2. Left: r0 0.996, r4 0.8, r5 0.745 -> radius 1 − 0.7447.
    const { dir, lines, opts } = await setup();
    const out = join(dir, "sel.jsonl");
    const meta = join(dir, "sel.meta.jsonl");
    const run = await arrange({
      ...opts,
      out,
      metadata: meta,
      budget: 3,
      select: "diverse",
      order: "selection",
    });
    expect(run.order).toEqual([1, 3, 2]);
    expect((await readFile(out, "utf8")).split("\n").slice(0, -1)).toEqual([1, 3, 2].map((i) => lines[i]));
    const rows = (await readFile(meta, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.selected)).toEqual([0, 1, 2]);
    expect(run.manifest.diverse?.start).toBe(1);
    expect(run.manifest.diverse?.coverRadius).toBeCloseTo(1 - (0.8 * c5 - 0.6 * s5), 6);
  });

  it("then TMA arranges the selected rows: r1, r2, r3 in rounds 1, 2, 3", async () => {
    const { opts } = await setup();
    const run = await arrange({ ...opts, budget: 3, select: "diverse" });
    expect(run.order).toEqual([1, 2, 3]);
    expect(run.metadata.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(run.metadata.map((r) => r.selected)).toEqual([0, 2, 1]);
    const rr = await arrange({ ...opts, budget: 3, select: "diverse", strategy: "round-robin" });
    expect(new Set(rr.order)).toEqual(new Set([1, 2, 3]));
  });

  it("--diversity-weight trades relevance against redundancy", async () => {
    // λ = 0: the three rows most similar to t0: r0 (1), r1 (0.996), r5 (0.8).
    const { opts } = await setup();
    const near = await arrange({
      ...opts,
      budget: 3,
      select: "diverse",
      diversityWeight: 0,
      order: "selection",
    });
    expect(near.order).toEqual([0, 1, 5]);
    // λ = 0.75: score = 0.25·x − 0.75·redundancy. Step 1: r0 (0.25 + 0.75). Step 2 (redundancy = x): r3 scores
    // −0.25 + 0.75 = 0.5, the best. Step 3 (redundancy = |x|): r2 0, r4 −0.3, r5 −0.4, r1 −0.498 -> r2.
    const mixed = await arrange({
      ...opts,
      budget: 3,
      select: "diverse",
      diversityWeight: 0.75,
      order: "selection",
    });
    expect(mixed.order).toEqual([0, 3, 2]);
    expect(mixed.metadata.map((r) => r.value)).toEqual([1, 0.5, 0].map((v) => expect.closeTo(v, 6)));
    expect(mixed.manifest.diverse?.coverRadius).toBeNull();
  });

  it("usage errors name the option", async () => {
    const { opts } = await setup();
    await expect(arrange({ ...opts, select: "diverse" })).rejects.toMatchObject({ option: "--select" });
    await expect(arrange({ ...opts, budget: 2, diversityWeight: 0.5 })).rejects.toMatchObject({
      option: "--diversity-weight",
    });
    await expect(
      arrange({ ...opts, budget: 2, select: "diverse", diversityWeight: 1.5 }),
    ).rejects.toMatchObject({ option: "--diversity-weight" });
    await expect(arrange({ ...opts, order: "selection" })).rejects.toMatchObject({ option: "--order" });
  });
});
