/** A dense row-major matrix of float32: row i is data[i*cols .. (i+1)*cols). */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
  /**
   * The same values as float16 bits, when the matrix came from a float16 .npy (linalg/half.ts): then
   * `data` is a float32 conversion made on first access, and readers that can stream float16 (the
   * streaming TMA engine) read this instead, keeping half the memory.
   */
  half?: Uint16Array;
}

export type Metric = "cosine" | "euclidean";
export type Aggregate = "min" | "max" | "avg" | "centroid";
export type Measure =
  | "wsd"
  | "cos-min"
  | "cos-max"
  | "cos-avg"
  | "cos-centroid"
  | "euc-min"
  | "euc-max"
  | "euc-avg"
  | "euc-centroid";
export const MEASURES: readonly Measure[] = [
  "wsd",
  "cos-min",
  "cos-avg",
  "cos-max",
  "cos-centroid",
  "euc-min",
  "euc-avg",
  "euc-max",
  "euc-centroid",
];

export type Strategy = "tma" | "rank" | "random" | "round-robin" | "cluster";
export const STRATEGIES: readonly Strategy[] = ["tma", "rank", "random", "round-robin", "cluster"];

/**
 * nearest-first = NFT, farthest-first = FFT, random = RT; `input` keeps the task order as read (schedules);
 * `selection` keeps the order in which `--select diverse` took the rows.
 */
export type Order = "nearest-first" | "farthest-first" | "random" | "input" | "selection";
export type Granularity = "instance" | "task";
/** TMA: each test row takes its nearest or its farthest remaining training row (`--pick`). */
export type PickDirection = "nearest" | "farthest";
/**
 * TMA: the order of the rows inside a round — by training index (the authors' code; with training data
 * read file by file this groups a round's rows by task), or shuffled with the seed.
 */
export type WithinRound = "index" | "shuffle";
export const WITHIN_ROUND: readonly WithinRound[] = ["index", "shuffle"];
export type Select = "min" | "max" | "min+max" | "diverse";

/** Task of every row: `taskOf[i]` indexes `names`. */
export interface TaskIndex {
  taskOf: Int32Array;
  names: string[];
}
