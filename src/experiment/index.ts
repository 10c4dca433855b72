export { meanAndStd, meanOverSteps, type StepValue } from "./area.js";
export {
  FIG3_ORDERS,
  type Fig3LeftOptions,
  type Fig3LeftResult,
  type Fig3Order,
  type Fig3Run,
  type Fig3Summary,
  fig3Left,
} from "./fig3-left.js";
export {
  type Accuracy,
  computeThreshold,
  ONLYIF_DEFAULTS,
  type OnlyIfOptions,
  type OnlyIfResult,
  type OnlyIfRun,
  type OnlyIfScores,
  type OnlyIfSummary,
  type OnlyIfThreshold,
  onlyIfSpec,
  onlyIfThreshold,
  scoreRunGenerations,
} from "./onlyif.js";
export { splitByTask, type TaskSplit } from "./split.js";
