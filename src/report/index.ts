export { escapeHtml, jsonForScript, reportHtml, vegaBundle } from "./html.js";
export { findArrangeManifest, loadReportData, readAnalysis, readTrainCurves } from "./load.js";
export { FONT_CANDIDATES, findFont, svgToPng, toVega, vegaToSvg } from "./render.js";
export { REPORT_DEFAULTS, report } from "./report.js";
export {
  coverageSpec,
  curvesSpec,
  projectionSpec,
  reportCharts,
  roundsSpec,
  wsdSpec,
} from "./specs.js";
export type {
  ReportArrangement,
  ReportChart,
  ReportData,
  ReportOptions,
  ReportResult,
  ReportRun,
  TrainCurvePoint,
  TrainCurves,
} from "./types.js";
