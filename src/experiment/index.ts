export { meanAndStd, meanOverSteps, type StepValue } from "./area.js";
export {
  FIG3_LABELS,
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
export {
  type ArmSummary,
  type Comparison,
  type CurveSummaryPoint,
  compareArms,
  type ExperimentOptions,
  type ExperimentResult,
  type ExperimentRun,
  type RunTrainOptions,
  readExperiment,
  roundGroupRange,
  runExperiment,
} from "./runner.js";
export {
  type ArmSpec,
  armId,
  armIsSeeded,
  BUILTIN_EXPERIMENTS,
  type BuiltinExperiment,
  builtinSpec,
  type CompareSpec,
  type ExperimentSpec,
  isBuiltin,
  loadSpec,
  type RoundFilter,
  validateSpec,
} from "./spec.js";
export { splitByTask, type TaskSplit } from "./split.js";
