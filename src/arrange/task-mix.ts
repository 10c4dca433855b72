/** How mixed the tasks of the first training batches are, and what a random order of the same rows would give. */
export interface TaskMix {
  /** Examples per batch. */
  batchSize: number;
  /** Batches measured (the first ones, full batches only; at most `maxBatches`). */
  batches: number;
  /** Mean distinct tasks per batch over those batches. */
  meanDistinct: number;
  /** Fewest distinct tasks in one of those batches. */
  minDistinct: number;
  /** Expected distinct tasks per batch when the same rows are in random order. */
  randomMean: number;
}

/**
 * Distinct tasks per batch over the first `maxBatches` full batches of `order` (row indices into `taskOf`),
 * against the exact expectation for a uniformly random order of the same rows:
 * E[distinct] = Σ_t 1 − C(N − n_t, B) / C(N, B) for tasks with n_t rows among N.
 */
export function taskMix(
  order: ArrayLike<number>,
  taskOf: ArrayLike<number>,
  batchSize = 16,
  maxBatches = 100,
): TaskMix | undefined {
  const n = order.length;
  const batches = Math.min(maxBatches, Math.floor(n / batchSize));
  if (batches === 0) return undefined;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  const seen = new Set<number>();
  for (let b = 0; b < batches; b++) {
    seen.clear();
    for (let k = b * batchSize; k < (b + 1) * batchSize; k++) seen.add(taskOf[order[k]!]!);
    sum += seen.size;
    if (seen.size < min) min = seen.size;
  }
  const counts = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    const t = taskOf[order[k]!]!;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  let randomMean = 0;
  for (const c of counts.values()) {
    // P(no row of this task in a batch) = Π_{k<B} (N − c − k) / (N − k)
    let none = 1;
    for (let k = 0; k < batchSize && none > 0; k++) none *= Math.max(0, n - c - k) / (n - k);
    randomMean += 1 - none;
  }
  return {
    batchSize,
    batches,
    meanDistinct: round3(sum / batches),
    minDistinct: min,
    randomMean: round3(randomMean),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
