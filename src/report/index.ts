export {
  coverageSpec,
  curvesSpec,
  diversityClustersSpec,
  diversityCompareSpec,
  diversityTasksSpec,
  projectionSpec,
  reportCharts,
  roundsSpec,
  taskCurvesSpec,
  taskPanels,
  wsdSpec,
} from "./charts/index.js";
export { escapeHtml, jsonForScript, vegaBundle } from "./html.js";
export { findArrangeManifest, loadReportData, readAnalysis, readDiversity, readTrainCurves } from "./load.js";
export { reportHtml } from "./pages/analysis.js";
export { FONT_CANDIDATES, findFont, svgToPng, toVega, vegaToSvg } from "./render.js";
export { REPORT_DEFAULTS, report } from "./report.js";
export type {
  ChartOptions,
  ReportArrangement,
  ReportChart,
  ReportData,
  ReportDiversity,
  ReportOptions,
  ReportResult,
  ReportRun,
  TrainCurvePoint,
  TrainCurves,
} from "./types.js";
