export { LineSplitter, ProtocolError, parseEvent, type TrainerEvent } from "../trainer/protocol.js";
export { DEFAULT_PYTHONS, findPython, PYTHON_ENV, type PythonInfo, trainerDir } from "../trainer/python.js";
export { readExamples, readTexts, sampleExamples, splitRecord, type TrainExample } from "./examples.js";
export {
  BUILTIN_SIZES,
  DEVICES,
  type Device,
  DTYPES,
  type Dtype,
  OBJECTIVES,
  type Objective,
  resolveSettings,
  TRAIN_DEFAULTS,
  type TrainSettings,
  totalSteps,
} from "./options.js";
export { type CurvePoint, type TrainCurves, type TrainOptions, type TrainResult, train } from "./run.js";
