/**
 * Folds a test-major block of cosine distances (out[j*cols + c] = distance of test row j to training row
 * c0 + c) into the running nearest test row of each training row: strict `<` over ascending j keeps the
 * lowest test row on ties. `minDist` must start at +Infinity.
 */
export function foldBlockNearest(
  out: Float32Array,
  testRows: number,
  cols: number,
  c0: number,
  minDist: Float32Array,
  argMin: Int32Array,
): void {
  for (let j = 0; j < testRows; j++) {
    const off = j * cols;
    for (let c = 0; c < cols; c++) {
      const v = out[off + c]!;
      if (v < minDist[c0 + c]!) {
        minDist[c0 + c] = v;
        argMin[c0 + c] = j;
      }
    }
  }
}
