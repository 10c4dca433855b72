/**
 * Below this fraction of ‖x‖² + ‖t‖², a squared Euclidean distance obtained from the matrix product is
 * recomputed directly (see `squaredEuclidean`).
 */
export const EUCLIDEAN_RECOMPUTE_RATIO = 1 / 64;

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
 * identical rows give exactly 0 and near rows get full precision. The ratio (1/64) is far above any
 * product error (float32: ~1e-7, TF32: ~5e-4), so no near pair is missed; with unit vectors it selects
 * only pairs with cosine above ~0.98 — near duplicates, which are rare and cheap to recompute.
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
  let s = 0;
  for (let k = 0; k < d; k++) {
    const diff = train[xo + k]! - test[to + k]!;
    s += diff * diff;
  }
  return s;
}
