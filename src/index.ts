/**
 * instruct-arrange: arrange and select instruction-tuning data by similarity to a target set.
 * The typed library API mirrors the CLI: `arrange(options)` is `instruct-arrange arrange`.
 */
export {
  ANALYZE_DEFAULTS,
  type Analysis,
  type AnalyzeOptions,
  analyze,
  CURVE_NAMES,
  type CurveSet,
} from "./analyze/index.js";
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
export { type Fig3LeftOptions, type Fig3LeftResult, fig3Left } from "./experiment/index.js";
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
export {
  type ArrangeOptions,
  type ArrangeRun,
  arrange,
  type Manifest,
  type MetadataRow,
} from "./pipeline/arrange.js";
export {
  type CurvePoint,
  findPython,
  type TrainCurves,
  type TrainOptions,
  type TrainResult,
  train,
} from "./train/index.js";
export { VERSION } from "./version.js";
