/**
 * Validates the shapes of a `multiplyNT` call and returns the output buffer (the caller's, or a new one).
 * Shape mistakes are programming errors, so they throw RangeError rather than ArrangeError.
 */
export function checkGemmArgs(
  a: Float32Array,
  rowsA: number,
  b: Float32Array,
  rowsB: number,
  d: number,
  out: Float32Array | undefined,
): Float32Array {
  for (const [name, v] of [
    ["rowsA", rowsA],
    ["rowsB", rowsB],
    ["d", d],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  if (a.length < rowsA * d) throw new RangeError(`gemm: A has ${a.length} elements, needs ${rowsA}×${d}`);
  if (b.length < rowsB * d) throw new RangeError(`gemm: B has ${b.length} elements, needs ${rowsB}×${d}`);
  const size = rowsA * rowsB;
  if (out === undefined) return new Float32Array(size);
  if (out.length !== size)
    throw new RangeError(`gemm: out has ${out.length} elements, needs ${rowsA}×${rowsB}`);
  return out;
}
