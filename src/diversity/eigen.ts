/**
 * Eigenvalues of a real symmetric matrix (no eigenvectors): Householder reduction to tridiagonal form, then
 * the implicit symmetric QR iteration with Wilkinson shifts on the tridiagonal matrix (Golub & Van Loan,
 * "Matrix Computations", algorithms 8.3.1 and 8.3.3). About 4/3·n³ flops for the reduction; O(n²) after.
 */

/**
 * Eigenvalues of the symmetric n × n matrix `a` (row-major, float64; only read, never changed), ascending.
 * The matrix must be symmetric; only its lower triangle is used.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`expected ${n}×${n} = ${n * n} values, got ${a.length}`);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      m[i * n + j] = a[i * n + j]!;
    }
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  tridiagonalize(m, n, d, e);
  tridiagonalEigenvalues(d, e);
  return d.sort();
}

/**
 * Householder reduction of the symmetric matrix `m` (overwritten; only its lower triangle is read and kept up to
 * date) to diagonal `d` and sub-diagonal `e`.
 */
function tridiagonalize(m: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // x = column k below the diagonal; reflect it onto alpha·e1.
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += m[i * n + k]! ** 2;
    const x0 = m[(k + 1) * n + k]!;
    const norm = Math.sqrt(norm2);
    if (norm === 0) {
      e[k] = 0;
      continue;
    }
    const alpha = x0 > 0 ? -norm : norm;
    // v = x - alpha·e1, normalized.
    let vnorm2 = 0;
    for (let i = k + 1; i < n; i++) {
      const vi = i === k + 1 ? x0 - alpha : m[i * n + k]!;
      v[i] = vi;
      vnorm2 += vi * vi;
    }
    e[k] = alpha;
    if (vnorm2 === 0) continue;
    const inv = 1 / Math.sqrt(vnorm2);
    for (let i = k + 1; i < n; i++) v[i]! *= inv;
    // p = A v on the trailing block, from its lower triangle (each off-diagonal entry serves two products).
    for (let i = k + 1; i < n; i++) p[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      let s = m[row + i]! * vi;
      for (let j = k + 1; j < i; j++) {
        const a = m[row + j]!;
        s += a * v[j]!;
        p[j] = p[j]! + a * vi;
      }
      p[i] = p[i]! + s;
    }
    // K = vᵀ p; w = p − K v; A ← A − 2 v wᵀ − 2 w vᵀ, on the lower triangle only.
    let kk = 0;
    for (let i = k + 1; i < n; i++) kk += v[i]! * p[i]!;
    for (let i = k + 1; i < n; i++) p[i] = p[i]! - kk * v[i]!;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi2 = 2 * v[i]!;
      const wi2 = 2 * p[i]!;
      for (let j = k + 1; j <= i; j++) m[row + j] = m[row + j]! - vi2 * p[j]! - wi2 * v[j]!;
    }
  }
  for (let k = 0; k < n; k++) d[k] = m[k * n + k]!;
  if (n >= 2) e[n - 2] = m[(n - 1) * n + (n - 2)]!;
}

/** Eigenvalues of the symmetric tridiagonal matrix (diagonal d, sub-diagonal e), written into d. */
function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  const eps = 2 ** -52;
  // Off-diagonal entries count as zero when small next to their diagonal neighbours or to the matrix as a
  // whole (eigenvalues are only accurate to eps·‖T‖ anyway; the absolute test keeps clusters of ~0 eigenvalues
  // of rank-deficient Gram matrices from iterating on round-off).
  let norm = 0;
  for (let i = 0; i < n; i++)
    norm = Math.max(norm, Math.abs(d[i]!) + Math.abs(e[i] ?? 0) + Math.abs(e[i - 1] ?? 0));
  const floor = eps * norm;
  const small = (i: number) =>
    Math.abs(e[i]!) <= eps * (Math.abs(d[i]!) + Math.abs(d[i + 1]!)) || Math.abs(e[i]!) <= floor;
  let hi = n - 1;
  let iterations = 0;
  while (hi > 0) {
    if (small(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !small(lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0;
    if (++iterations > 60 * n) throw new Error(`eigenvalues did not converge after ${iterations} QR steps`);
    qrStep(d, e, lo, hi);
  }
}

/** One implicit symmetric QR step with a Wilkinson shift on the unreduced block lo..hi. */
function qrStep(d: Float64Array, e: Float64Array, lo: number, hi: number): void {
  const delta = (d[hi - 1]! - d[hi]!) / 2;
  const b = e[hi - 1]!;
  const denom = delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, b);
  const mu = denom === 0 ? d[hi]! : d[hi]! - (b / denom) * b;
  let x = d[lo]! - mu;
  let z = e[lo]!;
  for (let k = lo; k < hi; k++) {
    // Rotation G = [[c, s], [-s, c]] on k, k+1 with Gᵀ [x; z] = [r; 0].
    const r = Math.hypot(x, z);
    const c = r === 0 ? 1 : x / r;
    const s = r === 0 ? 0 : -z / r;
    if (k > lo) e[k - 1] = r;
    const a = d[k]!;
    const b = e[k]!;
    const cc = d[k + 1]!;
    d[k] = a * c * c - 2 * b * c * s + cc * s * s;
    d[k + 1] = a * s * s + 2 * b * c * s + cc * c * c;
    e[k] = (a - cc) * c * s + b * (c * c - s * s);
    if (k < hi - 1) {
      const f = e[k + 1]!;
      z = -f * s;
      e[k + 1] = f * c;
      x = e[k]!;
    }
  }
}
