export { foldBlockNearest } from "./block-nearest.js";
export { defaultBlockRows } from "./block-rows.js";
export {
  cosineDistanceColumns,
  type DistanceColumns,
  type DistanceColumnsOptions,
} from "./distance-columns.js";
export { computeMeasure, type MeasureResult } from "./measure.js";
export { measureParts } from "./measure-parts.js";
export { type CandidateList, type NearestCandidates, nearestCandidates } from "./nearest-candidates.js";
export {
  type AggregateRequest,
  type StreamOptions,
  type TrainTestAggregates,
  trainTestAggregates,
} from "./train-test-aggregates.js";
export { WSD_DEGENERATE_EPSILON, type WsdResult, weightedSimilarityDistance } from "./wsd.js";
