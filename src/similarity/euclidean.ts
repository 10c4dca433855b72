/**
 * Below this fraction of ‖x‖² + ‖t‖², a squared Euclidean distance obtained from the matrix product is
 * recomputed directly (see `squaredEuclidean`).
 */
export const EUCLIDEAN_RECOMPUTE_RATIO = 2 ** -10;

/**
 * Squared Euclidean distance ‖x − t‖² between training row x (at `xo` in `train`) and test row t (at `to`
 * in `test`), given `minus2Dot` = −2 x·t from the matrix product and the squared norms `xx`, `tt`
 * (float64). Never negative.
 *
 * Why this shape: the expansion ‖x‖² + ‖t‖² − 2x·t is what makes Euclidean distances a matrix product,
 * but its absolute error is about ε·(‖x‖² + ‖t‖²), ε being the relative error of the engine's float32
 * product (~1e-7 for MLAS; reduced-precision engines are worse). For distant pairs that is harmless; for
 * near pairs the terms cancel and the error is all that is left: a training row identical to a test row
 * came out at up to 3.6e-4 instead of 0, so exact duplicates did not tie at 0 and were not ordered by
 * input order. Rather than computing every pair directly (d extra operations per pair, ~100× the cost of
 * the product), only pairs whose expanded value is below EUCLIDEAN_RECOMPUTE_RATIO·(‖x‖² + ‖t‖²) are
 * recomputed as Σ (x_k − t_k)² in float64. The difference of two float32 numbers is exact in float64, so
 * identical rows give exactly 0 and near rows get full precision. The ratio (2^-10 ≈ 1e-3) is well above
 * the product's error (float32 in practice ~1e-7 of the scale, its worst-case bound d·2^-24 = 2.3e-5 at
 * d = 384; TF32-like engines ~5e-5 in practice), so an identical pair is never missed; and with unit vectors
 * it selects only pairs with cosine above ~0.999, which are (near) duplicates: rare, and cheap to
 * recompute. Pairs just above it keep the expansion's absolute error (~1e-7), negligible at that distance.
 * A larger ratio costs real time where many pairs are close (bench/euclidean.ts: 1/64 made a
 * one-template data set at cosine 0.999 about 50× slower).
 */
export function squaredEuclidean(
  minus2Dot: number,
  xx: number,
  tt: number,
  train: Float32Array,
  xo: number,
  test: Float32Array,
  to: number,
  d: number,
): number {
  const scale = xx + tt;
  const sq = scale + minus2Dot;
  if (sq > EUCLIDEAN_RECOMPUTE_RATIO * scale) return sq;
  // Four partial sums (independent dependency chains run faster); identical rows still give exactly 0.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 4 <= d; k += 4) {
    const a = train[xo + k]! - test[to + k]!;
    const b = train[xo + k + 1]! - test[to + k + 1]!;
    const c = train[xo + k + 2]! - test[to + k + 2]!;
    const e = train[xo + k + 3]! - test[to + k + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += e * e;
  }
  for (; k < d; k++) {
    const a = train[xo + k]! - test[to + k]!;
    s0 += a * a;
  }
  return s0 + s1 + (s2 + s3);
}
