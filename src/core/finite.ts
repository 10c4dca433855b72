/**
 * Arrays whose every value is known to be finite because a reader checked them (readNpyInto refuses NaN
 * and ±Infinity naming the file and row). validateInputs skips its own scan of these: at a million rows
 * × 384 dimensions each scan costs most of a second. Only the exact array object counts; a copy (rows
 * dropped, a subarray) is scanned again.
 */
const checked = new WeakSet<Float32Array>();

export function markFinite(data: Float32Array): void {
  checked.add(data);
}

export function knownFinite(data: Float32Array): boolean {
  return checked.has(data);
}
