import type { ProgressSink } from "../core/progress.js";
import type { EmbeddingServiceOptions } from "../embed/service-types.js";
import type { EmbedderChoice } from "../embed/types.js";

/** Everything `analyze` needs; the CLI maps its flags one to one onto these fields. */
/** The embedder fields are EmbedderChoice's, except that its batch is `embedBatchSize`. */
export interface AnalyzeOptions extends EmbeddingServiceOptions, Omit<EmbedderChoice, "batchSize"> {
  /** Training set in the order it will be trained on (an `arrange` output, or any file as-is); several in order. */
  train?: import("../data/sources.js").DataSource;
  /** Target (test) set. */
  test?: import("../data/sources.js").DataSource;
  /** Instead of train and test: one directory of task files, split by `holdout` (the training part in file order). */
  data?: string;
  /** With `data`: task-name prefixes whose files form the test set. */
  holdout?: string[];
  /**
   * Training rows whose embedded text equals a test row's: "error" (default) stops before any embedding,
   * "drop" leaves them out of the analysis (and their metadata rows), "keep" keeps them with a warning.
   */
  overlap?: import("../data/overlap.js").OverlapMode;
  /** Where to write the analysis JSON. Omit to only compute. */
  out?: string;
  /** `arrange --metadata` JSONL of the same training file (round and value per row, in output order). */
  metadata?: string;
  /** Texts per embedding batch (`batchSize` here is the optimizer's, examples per step). */
  embedBatchSize?: number;
  /** Precomputed embeddings (.npy, float32, row i = input row i). */
  trainEmbeddings?: string;
  testEmbeddings?: string;
  template?: string;
  taskField?: string;
  skipInvalid?: boolean;
  /** Examples per optimizer step (default 16). */
  batchSize?: number;
  /** Optimizer steps between checkpoints (default 10). */
  saveSteps?: number;
  /**
   * Last optimizer step with a checkpoint (default: the whole training set): the curves, the task mix
   * and the per-interval measures stop there, as a run of that many steps would. Coverage, WSD, rounds
   * and the projection still describe the whole training set (they do not depend on the order).
   */
  maxSteps?: number;
  /** Nearest training rows listed per test row (default 5). */
  k?: number;
  /** Cosine similarity at or above which a test row is flagged as likely contamination (default 0.95). */
  contamination?: number;
  /** Smoothing of the bigram KL divergence (default 1e-10). */
  klEpsilon?: number;
  /** Largest number of training rows in the 2-D projection (default 5000). */
  projectionSample?: number;
  /** Bins of the WSD histogram (default 50). */
  wsdBins?: number;
  /**
   * Longest text snippet (in characters) kept for the report's contamination table (default 200);
   * 0 keeps no text in the analysis.
   */
  snippetChars?: number;
  engine?: "ort" | "ort-cuda" | "ts";
  onProgress?: ProgressSink;
}

/** One curve per measure, one value per checkpoint. */
export interface CurveSet {
  "cos-min": number[];
  "cos-max": number[];
  "cos-avg": number[];
  "cos-centroid": number[];
  "euc-min": number[];
  "euc-max": number[];
  "euc-avg": number[];
  "euc-centroid": number[];
  "kl-bigram": number[];
}

export const CURVE_NAMES = [
  "cos-min",
  "cos-max",
  "cos-avg",
  "cos-centroid",
  "euc-min",
  "euc-max",
  "euc-avg",
  "euc-centroid",
  "kl-bigram",
] as const satisfies readonly (keyof CurveSet)[];

export interface InputFileSummary {
  path: string;
  format: string;
  rows: number;
  skipped: number;
  sha256: string;
}

export interface CoverageNeighbor {
  /** Training row: 0-based position in the training file order. */
  train: number;
  /** Cosine distance (negative cosine similarity). */
  distance: number;
  similarity: number;
  /** Start of the training row's text (see `CoverageRow.snippet`). */
  snippet?: string;
  /** The training row's task. */
  task?: string;
}

export interface CoverageRow {
  /** 0-based test row (kept rows, files in sorted name order). */
  test: number;
  task: string;
  /** Nearest training rows, nearest first (ties: lowest training position). */
  nearest: CoverageNeighbor[];
  /** Max cosine similarity ≥ threshold. */
  flagged: boolean;
  /**
   * Start of the test row's embedded text, whitespace collapsed, at most `snippetChars` characters
   * (cut ones end in "…"). Present on flagged rows and on the `SNIPPET_CLOSEST` rows whose nearest
   * training row is most similar, with the same on their nearest training rows; absent with snippetChars 0.
   */
  snippet?: string;
}

export interface AnalysisProjectionPoint {
  set: "train" | "test";
  x: number;
  y: number;
  /** Training: position in the training order; test: test row. */
  position: number;
  task: string;
  /** TMA round (training points, with metadata). */
  round?: number;
}

/** The analysis file (`kind: "analysis"`), JSON with every non-integer rounded to 6 significant digits. */
export interface Analysis {
  tool: "instruct-arrange";
  version: string;
  kind: "analysis";
  inputs: {
    /**
     * setHash: order-independent SHA-256 of the rows' 64-bit text hashes (the same rows in any order hash
     * alike), checked by report before it overlays analyses.
     */
    train: {
      path: string;
      files: InputFileSummary[];
      rows: number;
      setHash?: string;
      /**
       * SHA-256 of the sorted SHA-256 hashes of the training rows' embedded texts: the same for every
       * order of the same rows, so a report can tell arrangements of one training set apart from others.
       */
      contentHash?: string;
    };
    test: { path: string; files: InputFileSummary[]; rows: number; tasks: string[]; setHash?: string };
    /** Training rows equal to a test row (whitespace aside), and what was done with them. */
    overlap?: { mode: string; count: number; dropped: number; pairs: { train: string; test: string }[] };
    metadata?: { path: string; rows: number };
  };
  embedder: {
    id: string;
    version?: string;
    dims: number;
    normalized?: boolean;
    cache?: import("../embed/cache.js").CacheReport;
  };
  checkpoints: {
    batchSize: number;
    saveSteps: number;
    /** Examples per checkpoint (batchSize × saveSteps). */
    every: number;
    /** Training prefix length at each checkpoint (the last one may be partial). */
    examples: number[];
    /** Optimizer step of each checkpoint (ceil(examples / batchSize)). */
    steps: number[];
    /** `--max-steps`, when given. */
    maxSteps?: number;
  };
  curves: {
    overall: CurveSet;
    perTask: Record<string, CurveSet>;
    klEpsilon: number;
    /** Mean WSD of the rows of each training prefix. */
    wsd?: number[];
    /**
     * Each checkpoint interval on its own (the rows after the previous checkpoint up to this one) against
     * all test rows: the same measures, and the mean WSD of the interval's rows.
     */
    window?: { overall: CurveSet; wsd: number[] };
  };
  /** What each checkpoint interval trains on, by training task. */
  composition?: {
    /** Training task names; ids index this list. */
    tasks: string[];
    /** Per checkpoint interval: task id and rows, alternating (`[id, rows, id, rows, …]`), ids ascending. */
    counts: number[][];
    /** Mean number of distinct training tasks in one optimizer batch, per checkpoint interval. */
    distinctPerBatch: number[];
  };
  coverage: {
    k: number;
    threshold: number;
    rows: CoverageRow[];
    perTask: Record<string, { rows: number; flagged: number; share: number }>;
    flagged: number;
  };
  tma?: {
    /** Round numbers as they appear in the metadata, ascending. */
    rounds: number[];
    roundSizes: number[];
    /** Mean metadata `value` (the TMA distance) of each round. */
    roundMeanDistance: number[];
    /** Where a new round begins in the training order: first row (0-based), its optimizer step, the round. */
    starts?: { position: number; step: number; round: number }[];
    /** Round starts within the analyzed checkpoints when there were more than MAX_ROUND_STARTS (not listed). */
    startsOmitted?: number;
  };
  wsd: {
    /** w = |mean(AD) / mean(MD)| (1 when mean(MD) ≈ 0). */
    weight: number;
    histogram: { bins: number; min: number; max: number; mean: number; binWidth: number; counts: number[] };
  };
  projection: {
    /** Share of the total variance on each axis. */
    explainedVariance: [number, number];
    /** Training rows shown (evenly spaced in order) of the total. */
    trainSampled: number;
    points: AnalysisProjectionPoint[];
  };
  warnings?: string[];
  /** Seconds per stage; the only field that differs between runs on the same inputs. */
  timings: Record<string, number>;
}
