// The charts moved to report/charts/ (one file per group of charts); this keeps the old import path.
export * from "./charts/index.js";
