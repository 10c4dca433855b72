import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/progress.js";
import { writeNpy } from "../../src/data/npy.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

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

describe("arrange() with strategies that need no vectors", () => {
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
