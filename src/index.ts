/**
 * instruct-arrange: arrange and select instruction-tuning data by similarity to a target set.
 * The typed library API mirrors the CLI: `arrange(options)` is `instruct-arrange arrange`.
 */
export { type Analysis, type AnalyzeOptions, CURVE_NAMES, type CurveSet } from "./analyze/index.js";
export { arrangeEmbeddings } from "./arrange/index.js";
export type { ArrangeAlgoOptions, ArrangeAlgoResult } from "./arrange/types.js";
export { ArrangeError, type ErrorCode } from "./core/errors.js";
export type { ProgressEvent, ProgressSink } from "./core/progress.js";
export { createRng, type Rng } from "./core/rng.js";
export * from "./core/types.js";
export { readNpy, writeNpy } from "./data/npy.js";
export { readDataset } from "./data/read.js";
export type { Dataset, DatasetFile, FileFormat, LayoutName, ReadOptions } from "./data/types.js";
export { writeArranged } from "./data/write.js";
export {
  computeDiversity,
  type DiversityOptions,
  type DiversityResult,
  defaultClusters,
  type SetDiversity,
} from "./diversity/compute.js";
export { type GreedySelection, type GreedySelectOptions, greedySelect } from "./diversity/greedy.js";
export { type KMeansOptions, type KMeansResult, kMeans } from "./diversity/kmeans.js";
export {
  type CachedEmbedder,
  type CacheReport,
  defaultCacheDir,
  type EmbeddingCache,
  openEmbeddingCache,
} from "./embed/cache.js";
export { createEmbedder, EMBEDDERS, embedAll } from "./embed/index.js";
export type { Embedder, EmbedderOptions, EmbedResult } from "./embed/types.js";
export {
  aggregateLoss,
  type ExampleLoss,
  exactMatch,
  type LossSummary,
  normalizeAnswer,
  rouge1,
  rougeL,
  rougeTokens,
  scoreGenerations,
} from "./evaluate/index.js";
export {
  BUILTIN_EXPERIMENTS,
  type ExperimentResult,
  type ExperimentSpec,
  type Fig3LeftOptions,
  type Fig3LeftResult,
  loadSpec,
} from "./experiment/index.js";
export {
  EXPORT_TARGETS,
  type ExportOptions,
  type ExportResult,
  type ExportTarget,
  exportArranged,
  type RoundSpan,
  type StepPlan,
  stepPlan,
} from "./export/index.js";
export { createGemm } from "./linalg/index.js";
export type { GemmEngine } from "./linalg/types.js";
export { ANALYZE_DEFAULTS, analyze } from "./pipeline/analyze.js";
export {
  type ArrangeOptions,
  type ArrangeRun,
  arrange,
  type Manifest,
  type MetadataRow,
} from "./pipeline/arrange.js";
export {
  type DiversityReport,
  type DiversityRunOptions,
  diversity,
} from "./pipeline/diversity.js";
export { type EmbedFileOptions, type EmbedFileRun, embedFile } from "./pipeline/embed-file.js";
export type { EmbeddingsSidecar } from "./pipeline/embeddings-sidecar.js";
export { type ExperimentOptions, fig3Left, runExperiment } from "./pipeline/experiment.js";
export type { EmbeddingServiceOptions } from "./pipeline/start-embedder.js";
export {
  type ModelReport,
  type PredictOptions,
  type PredictPoint,
  type PredictResult,
  predict,
} from "./predict/predict.js";
export {
  type ReportChart,
  type ReportData,
  type ReportDiversity,
  type ReportOptions,
  type ReportResult,
  report,
  reportCharts,
  type TrainCurves as ReportTrainCurves,
} from "./report/index.js";
export {
  applyRule,
  generateRewrite,
  REWRITE_DEFAULTS,
  REWRITE_DOMAINS,
  type RewriteDomain,
  type RewriteExample,
  type RewriteOptions,
  type RewriteSet,
} from "./synth/rewrite.js";
export { type WrittenRewrite, writeRewrite } from "./synth/write.js";
export {
  type CurvePoint,
  findPython,
  type TrainCurves,
  type TrainOptions,
  type TrainResult,
  train,
} from "./train/index.js";
export { VERSION } from "./version.js";
