import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { needsVectors } from "../../src/arrange/index.js";
import type { ProgressEvent } from "../../src/core/progress.js";
import type { Strategy } from "../../src/core/types.js";
import { writeNpy } from "../../src/data/npy.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";
import { goSchedule as go, scheduleTasks as tasks } from "./hand-example-helpers.js";

const TRAIN_ROWS = 1200;
const TEST_ROWS = 152;

/** Seeded random vectors, so arrange takes the path with embeddings. */
async function randomNpy(path: string, rows: number, cols: number, seed: number): Promise<string> {
  const data = new Float32Array(rows * cols);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  await writeNpy(path, { data, rows, cols });
  return path;
}

describe("strategies that need no vectors", () => {
  it("are random, round-robin and cluster, unless --select diverse picks the rows", () => {
    for (const s of ["random", "round-robin", "cluster"] as Strategy[]) {
      expect(needsVectors({ strategy: s })).toBe(false);
      expect(needsVectors({ strategy: s, select: "diverse" })).toBe(true);
    }
    expect(needsVectors({ strategy: "tma" })).toBe(true);
    expect(needsVectors({ strategy: "rank" })).toBe(true);
  });

  for (const [strategy, order] of [
    ["random", undefined],
    ["round-robin", "random"],
    ["cluster", "random"],
    ["cluster", undefined],
  ] as const) {
    it(`${strategy}${order ? ` --order ${order}` : ""}: embeds nothing, same order as with vectors, no nearest fields`, async () => {
      const dir = await tempDir();
      const events: ProgressEvent[] = [];
      const common = { train: EXAMPLE_TRAIN, test: EXAMPLE_TEST, strategy, order, seed: 5, budget: 1000 };
      // use-lite would take minutes here; the run must not start it (nor read a text).
      const plain = await arrange({
        ...common,
        out: join(dir, "plain.jsonl"),
        metadata: join(dir, "plain.meta.jsonl"),
        onProgress: (e) => events.push(e),
      });
      expect(events.some((e) => e.stage.startsWith("embed:"))).toBe(false);
      expect(events.find((e) => e.stage === "embed")?.message).toContain("nothing embedded");
      expect(plain.manifest.embedder).toMatchObject({ id: "none", dims: 0 });
      expect(plain.manifest.engine).toBe("none");
      const meta = (await readFile(join(dir, "plain.meta.jsonl"), "utf8")).trim().split("\n");
      expect(meta).toHaveLength(1000);
      for (const line of meta) {
        const row = JSON.parse(line) as Record<string, unknown>;
        expect(row).not.toHaveProperty("nearest_test");
        expect(row).not.toHaveProperty("nearest_distance");
        expect(row).toHaveProperty("task");
      }

      const withVectors = await arrange({
        ...common,
        trainEmbeddings: await randomNpy(join(dir, "train.npy"), TRAIN_ROWS, 8, 1),
        testEmbeddings: await randomNpy(join(dir, "test.npy"), TEST_ROWS, 8, 2),
        out: join(dir, "vec.jsonl"),
        metadata: join(dir, "vec.meta.jsonl"),
      });
      expect(plain.order).toEqual(withVectors.order);
      expect(await readFile(join(dir, "plain.jsonl"), "utf8")).toBe(
        await readFile(join(dir, "vec.jsonl"), "utf8"),
      );
      const vecMeta = JSON.parse(
        (await readFile(join(dir, "vec.meta.jsonl"), "utf8")).split("\n")[0]!,
      ) as Record<string, unknown>;
      expect(typeof vecMeta.nearest_test).toBe("number");
    });
  }
});

describe("task schedules with --order random", () => {
  it("random order is reproducible and keeps each schedule's shape (the exact shuffle: order.test.ts)", async () => {
    for (const strategy of ["round-robin", "cluster"] as const) {
      const a = await go({ strategy, order: "random" }, 11);
      const b = await go({ strategy, order: "random" }, 11);
      expect(Array.from(a.order)).toEqual(Array.from(b.order));
      expect([...a.order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
    // Cluster with random order still keeps each task contiguous.
    const c = await go({ strategy: "cluster", order: "random" }, 5);
    const taskSeq = Array.from(c.order, (i) => tasks.taskOf[i]);
    const runs = taskSeq.filter((t, k) => k === 0 || t !== taskSeq[k - 1]);
    expect(runs.length).toBe(3);
    // Round-robin with random order: a pass holds each task at most once.
    const rr = await go({ strategy: "round-robin", order: "random" }, 5);
    const firstPass = Array.from(rr.order.subarray(0, 3), (i) => tasks.taskOf[i]);
    expect(new Set(firstPass).size).toBe(3);
  });
});
