import { type Rng, shuffleInPlace } from "../core/rng.js";

/** Random training (RT): a seeded shuffle of rows 0..n-1. */
export function arrangeRandom(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}
