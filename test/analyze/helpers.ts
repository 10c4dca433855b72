import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeNpy } from "../../src/data/npy.js";

/** A tiny 2-D case: 5 training points, 3 test points in two test tasks (tA: 2 rows, tB: 1 row). */
export const TRAIN_TEXTS = ["a b a b", "c d", "a b c", "x y z", "c d"];
export const TRAIN_VECS = [
  [1, 0],
  [0, 2],
  [1, 1],
  [-1, 0.5],
  [0, 2],
];
export const TEST_TEXTS = { tA: ["a b c", "c d e"], tB: ["x y"] };
export const TEST_VECS = [
  [2, 0.1],
  [0, 1],
  [-1, -1],
];

export async function writeTinyCase(dir: string): Promise<{
  train: string;
  test: string;
  trainNpy: string;
  testNpy: string;
}> {
  const train = join(dir, "train.jsonl");
  const test = join(dir, "test");
  await mkdir(test, { recursive: true });
  await writeFile(train, TRAIN_TEXTS.map((t) => `${JSON.stringify({ text: t })}\n`).join(""));
  for (const [task, texts] of Object.entries(TEST_TEXTS))
    await writeFile(
      join(test, `${task}.jsonl`),
      texts.map((t) => `${JSON.stringify({ text: t })}\n`).join(""),
    );
  const trainNpy = join(dir, "train.npy");
  const testNpy = join(dir, "test.npy");
  await writeNpy(trainNpy, { data: Float32Array.from(TRAIN_VECS.flat()), rows: 5, cols: 2 });
  await writeNpy(testNpy, { data: Float32Array.from(TEST_VECS.flat()), rows: 3, cols: 2 });
  return { train, test, trainNpy, testNpy };
}

/** Equal to 6 significant digits (the analysis rounds to 6). */
export function close6(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 2e-6 * Math.max(1, Math.abs(expected));
}
