import type { Matrix } from "../core/types.js";
import { streamCosineBlocks } from "./cosine-blocks.js";
import type { StreamOptions } from "./train-test-aggregates.js";

export interface DistanceColumnsOptions extends StreamOptions {
  /** Store cosine similarity (= −distance) instead of distance, so that ascending means farthest first. */
  similarity?: boolean;
}

export interface DistanceColumns {
  /** columns[j][i] = cosine distance (or similarity) between test row j and training row i. */
  columns: Float32Array[];
  /** Nearest test row of every training row by cosine distance (ties: lowest test row), and the distance. */
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
}

/**
 * The full cosine distance matrix, test-major: one Float32Array of n training distances per test row
 * (n × m × 4 bytes in all; the caller checks that this fits). Filled block by block from
 * Gemm(test, train block) with alpha = −1, which also yields every training row's nearest test row.
 */
export async function cosineDistanceColumns(
  train: Matrix,
  test: Matrix,
  options: DistanceColumnsOptions,
): Promise<DistanceColumns> {
  const n = train.rows;
  const m = test.rows;
  const columns: Float32Array[] = [];
  for (let j = 0; j < m; j++) columns.push(new Float32Array(n));
  const negate = options.similarity === true;
  const { nearestTest, nearestDistance } = await streamCosineBlocks(train, test, options, (out, r0, rows) => {
    for (let j = 0; j < m; j++) {
      const col = columns[j]!;
      const off = j * rows;
      if (negate) {
        for (let c = 0; c < rows; c++) col[r0 + c] = -out[off + c]!;
      } else {
        col.set(out.subarray(off, off + rows), r0);
      }
    }
  });
  return { columns, nearestTest, nearestDistance };
}
