export { meanAndStd, meanOverSteps, type StepValue } from "./area.js";
export {
  FIG3_LABELS,
  FIG3_ORDERS,
  type Fig3LeftOptions,
  type Fig3LeftResult,
  type Fig3Order,
  type Fig3Run,
  type Fig3Summary,
} from "./fig3-left.js";
export {
  isComplete,
  markComplete,
  type ResumableJob,
  RUN_KEY_FILE,
  type RunTrainOptions,
  readRunTimings,
  resumeKeyText,
  runPool,
  runResumable,
  sha256File,
  sha256Path,
} from "./jobs.js";
export {
  type Accuracy,
  computeThreshold,
  ONLYIF_DEFAULTS,
  type OnlyIfLoss,
  type OnlyIfOptions,
  type OnlyIfResult,
  type OnlyIfRun,
  type OnlyIfScores,
  type OnlyIfSummary,
  type OnlyIfThreshold,
  scoreRunGenerations,
  subsetLoss,
  summarizeSweep,
} from "./onlyif.js";
export {
  type ArmSummary,
  type Comparison,
  type CurveSummaryPoint,
  compareArms,
  type ExperimentResult,
  type ExperimentRun,
  readExperiment,
  summarizeArms,
} from "./result.js";
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
  roundGroupRange,
  validateSpec,
} from "./spec.js";
export { splitByTask, type TaskSplit } from "./split.js";
