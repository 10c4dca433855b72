/**
 * Progress is emitted as events by library code and drawn (or printed as JSON) by the CLI only.
 */
export interface ProgressEvent {
  /** Stage name, e.g. "read", "embed:train", "distances", "tma". */
  stage: string;
  /** Units done so far. */
  done: number;
  /** Total units, when known. */
  total?: number;
  /** What a unit is: "rows", "pairs", "rounds". */
  unit: string;
  /** Free-form note (e.g. the detected layout of a file). */
  message?: string;
  /** stage "embed:estimate": the embedding run's size and estimated time (--log-json carries it). */
  estimate?: {
    set: string;
    embedder: string;
    texts: number;
    tokens: number;
    seconds: number;
    concurrency: number;
    tokensPerSecond: number;
  };
}

export type ProgressSink = (event: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};
