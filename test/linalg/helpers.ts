import { prng } from "../arrange/helpers.js";

export function randomArray(len: number, seed: number): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: len }, () => r() * 2 - 1);
}

export function naive(
  a: Float32Array,
  ra: number,
  b: Float32Array,
  rb: number,
  d: number,
  alpha: number,
): Float64Array {
  const out = new Float64Array(ra * rb);
  for (let i = 0; i < ra; i++)
    for (let j = 0; j < rb; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k]! * b[j * d + k]!;
      out[i * rb + j] = alpha * s;
    }
  return out;
}

export const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [2, 4, 16],
  [7, 130, 33],
  [64, 65, 384],
  [129, 3, 5],
  [0, 4, 3],
  [4, 0, 3],
];
