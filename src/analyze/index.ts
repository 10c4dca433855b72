export { prefixBigramKl } from "../similarity/bigram-kl.js";
export { checkpointExamples } from "./checkpoints.js";
export type {
  Analysis,
  AnalysisProjectionPoint,
  AnalyzeOptions,
  CoverageNeighbor,
  CoverageRow,
  CurveSet,
} from "./types.js";
export { CURVE_NAMES } from "./types.js";
