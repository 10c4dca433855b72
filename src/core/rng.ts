import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/**
 * A seeded random source passed explicitly to everything that draws random numbers, so the same
 * seed gives the same arrangement on every machine. Backed by pure-rand's xoroshiro128+.
 */
export interface Rng {
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** An independent stream derived from this seed and a label (so adding one random step does not shift others). */
  fork(label: string): Rng;
}

function hashLabel(label: string): number {
  // FNV-1a, 32 bit: only used to derive sub-seeds deterministically.
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const gen = xoroshiro128plus((seed ^ Math.floor(seed / 2 ** 32)) | 0);
  return {
    int(n: number): number {
      if (!(n >= 1) || !Number.isSafeInteger(n))
        throw new RangeError(`rng.int needs a positive integer, got ${n}`);
      return uniformInt(gen, 0, n - 1);
    },
    fork(label: string): Rng {
      return createRng(((seed >>> 0) ^ hashLabel(label)) >>> 0);
    },
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
