import type { ProgressSink } from "../core/progress.js";
import type {
  Granularity,
  Matrix,
  Measure,
  Order,
  PickDirection,
  Select,
  Strategy,
  TaskIndex,
  WithinRound,
} from "../core/types.js";
import type { GemmEngine } from "../linalg/types.js";

export interface ArrangeAlgoOptions {
  strategy: Strategy;
  /** rank: which measure to sort by (default "wsd"). */
  measure?: Measure;
  /** Default: nearest-first for tma/rank, input for round-robin/cluster; ignored by random. */
  order?: Order;
  /** rank and tma: instance (fine, default) or task (coarse: a task is the mean of its examples). */
  granularity?: Granularity;
  /** tma: each test point takes its nearest (default) or farthest remaining training point. */
  pick?: PickDirection;
  /**
   * tma with order nearest-first or farthest-first: rows inside a round by training index (default, the
   * authors' code) or shuffled with the seed (rounds stay in order).
   */
  withinRound?: WithinRound;
  /** Keep exactly this many examples. */
  budget?: number;
  /**
   * With budget, for tma and rank: min = nearest M, max = farthest M, min+max = half from each end.
   * diverse (any strategy): greedy selection of M rows maximizing (1 − λ)·relevance − λ·redundancy (see
   * `diversityWeight`), then the strategy arranges the selected rows (or `order: "selection"` keeps the greedy order).
   */
  select?: Select;
  /**
   * λ of `select: "diverse"`, in [0, 1] (default 1): relevance = largest cosine similarity to a test row,
   * redundancy = largest cosine similarity to a row already selected. λ = 1 is k-center (farthest-point)
   * greedy from the row nearest the centroid; λ = 0 takes the M rows most similar to the test set.
   */
  diversityWeight?: number;
  seed: number;
  gemm?: GemmEngine;
  onProgress?: ProgressSink;
  /**
   * tma: memory for the distances, default 6 GiB. The streaming engine keeps each test point's best
   * candidates in a store of at most this many bytes (less one block of distances); the matrix engine
   * needs the whole n × m × 4 byte matrix within it. Too small for one block and one candidate per
   * test point: a usage error naming --memory-limit.
   */
  memoryLimitBytes?: number;
  /** Training rows per streamed block of distances (default: about 2M distances per block). */
  blockRows?: number;
  /**
   * tma: "stream": candidate lists refilled by blocked passes, no distance matrix; "matrix": the full
   * n × m matrix in memory (same result); "auto" (default): matrix when it takes at most
   * MATRIX_ENGINE_MAX_BYTES and fits the memory limit (measured faster there: bench/tma.ts), else stream.
   */
  tmaEngine?: "auto" | "stream" | "matrix";
  /** tma stream engine: first candidate-list size per test point (default max(64, 32 n / m)). */
  tmaInitialCapacity?: number;
}

export interface ArrangeAlgoResult {
  /** Training row indices in output order (a permutation, or a duplicate-free selection with budget). */
  order: Int32Array;
  /** TMA round (1-based) of each output row; undefined for other strategies. */
  round?: Int32Array;
  /** The value each output row was ordered by: the rank measure, or for tma the distance to the test point that picked it. */
  value?: Float32Array | Float64Array;
  /** TMA: the lowest-index test row that picked each output row in its round. */
  pickedBy?: Int32Array;
  /** Nearest test row of each output row by cosine distance, and that distance (negative cosine similarity). */
  nearestTest: Int32Array;
  nearestDistance: Float32Array;
  /** Number of TMA rounds and the size of each (before any budget cut). */
  roundSizes?: number[];
  /** WSD weight w = |mean(AD) / mean(MD)|, when the wsd measure was used. */
  wsdWeight?: number;
  /** select diverse: each output row's 0-based position in the greedy selection order. */
  selected?: Int32Array;
  /** select diverse: the weight λ, the first row taken, and (λ = 1) the k-center radius: the largest cosine distance from an unselected row to its nearest selected row. */
  diverse?: { weight: number; start: number; coverRadius: number | null };
  /** Seconds spent per stage, e.g. { distances: 1.2, tma: 0.3 }. */
  timings: Record<string, number>;
  /** Things the user should know (a degenerate WSD weight, a Gemm engine fallback, ...). */
  warnings?: string[];
}

/**
 * The algorithm layer's entry point: pure computation over embeddings.
 * train: n × d, test: m × d (any norms; cosine normalizes internally), tasks: task of every training row.
 */
export type ArrangeEmbeddings = (
  train: Matrix,
  test: Matrix,
  tasks: TaskIndex,
  options: ArrangeAlgoOptions,
) => Promise<ArrangeAlgoResult>;

/** The options after `resolveOptions`: checked against each other, defaults filled in. */
export interface ResolvedOptions {
  strategy: Strategy;
  measure: Measure;
  order: Order;
  granularity: Granularity;
  pick: PickDirection;
  withinRound: WithinRound;
  budget: number | undefined;
  select: Select;
  /** λ of select "diverse" (1 when not given). */
  diversityWeight: number;
  seed: number;
  memoryLimitBytes: number;
  blockRows: number | undefined;
  tmaEngine: "auto" | "stream" | "matrix";
  tmaInitialCapacity: number | undefined;
}
