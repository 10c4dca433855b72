/**
 * Training rows per block when streaming distances: about `targetFloats` distances per block (8 MiB of
 * float32 by default), at least 64 and at most 16384 rows. Chosen by measurement (bench/gemm.ts): MLAS
 * Gemm reaches its speed from ~1k × 1k products, and much wider outputs only add allocation and cache misses.
 */
export function defaultBlockRows(testRows: number, targetFloats = 1 << 21): number {
  const rows = Math.floor(targetFloats / Math.max(1, testRows));
  return Math.max(64, Math.min(16384, rows));
}
