/**
 * The 2-D example of the hand-computed cases (tma, rank, round-robin, cluster, random and arrange-schedule
 * tests), checkable on paper.
 *
 * Test points T0 = (1, 0), T1 = (0, 1). Cosine distance = −cosine, so for unit x: d(x, T0) = −x₁,
 * d(x, T1) = −x₂. Training points (unit vectors):
 *
 *   row  x             d(T0)  d(T1)   min   max   avg   nearest test
 *   0    ( 0.6,  0.8)  −0.6   −0.8   −0.8  −0.6  −0.7   T1
 *   1    ( 1,    0  )  −1      0     −1     0    −0.5   T0
 *   2    ( 0.8,  0.6)  −0.8   −0.6   −0.8  −0.6  −0.7   T0
 *   3    (−1,    0  )   1      0      0     1     0.5   T1
 *   4    ( 0,   −1  )   0      1      0     1     0.5   T0
 *   5    ( 0.6, −0.8)  −0.6    0.8   −0.6   0.8   0.1   T0
 *
 * TMA (nearest): round 1: T0 → 1, T1 → 0. Round 2 (left 2,3,4,5): T0 → 2 (−0.8), T1 → 2 (−0.6): one
 * pick counted once. Round 3 (left 3,4,5): T0 → 5 (−0.6), T1 → 3 (0). Round 4: 4 (both; d = 0).
 * TMA (farthest): round 1: T0 → 3 (1), T1 → 4 (1). Round 2 (left 0,1,2,5): T0: rows 0 and 5 tie at −0.6
 * → 0 (lowest index); T1 → 5 (0.8). Round 3: T0 → 2 (−0.8), T1 → 1 (0).
 * WSD: mean AD = −0.8/6, mean MD = −3.2/6, w = 0.25; WSD = AD + 0.25·MD = −0.9, −0.75, −0.9, 0.5, 0.5, −0.05.
 */
import { expect } from "vitest";
import { arrangeEmbeddings } from "../../src/arrange/index.js";
import type { ArrangeAlgoOptions } from "../../src/arrange/types.js";
import type { TaskIndex } from "../../src/core/types.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import { matrix, singleTask } from "./helpers.js";

export const train = matrix([
  [0.6, 0.8],
  [1, 0],
  [0.8, 0.6],
  [-1, 0],
  [0, -1],
  [0.6, -0.8],
]);
export const test = matrix([
  [1, 0],
  [0, 1],
]);
export const gemm = createTsGemm();
export const one = singleTask(6);
export const run = (options: Omit<ArrangeAlgoOptions, "seed" | "gemm">, tasks: TaskIndex = one) =>
  arrangeEmbeddings(train, test, tasks, { seed: 7, gemm, ...options });
export const close = (actual: ArrayLike<number> | undefined, expected: number[]) => {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(actual![k]!).toBeCloseTo(expected[k]!, 5);
};

// The task schedules' example: tasks by row: A A B C A B A → A = [0, 1, 4, 6], B = [2, 5], C = [3].
export const scheduleTasks: TaskIndex = {
  taskOf: Int32Array.from([0, 0, 1, 2, 0, 1, 0]),
  names: ["A", "B", "C"],
};
export const scheduleTrain = matrix(Array.from({ length: 7 }, (_, i) => [Math.cos(i), Math.sin(i)]));
export const goSchedule = (options: Omit<ArrangeAlgoOptions, "seed" | "gemm">, seed = 3) =>
  arrangeEmbeddings(scheduleTrain, test, scheduleTasks, { seed, gemm, ...options });
