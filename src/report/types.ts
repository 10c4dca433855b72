import type { TopLevelSpec } from "vega-lite";
import type { DiversityReport } from "../analyze/diversity-report.js";
import type { Analysis, CurveSet } from "../analyze/types.js";
import type { ProgressSink } from "../core/progress.js";

/** Everything `report` needs; the CLI maps its flags one to one onto these fields. */
export interface ReportOptions {
  /** Analysis JSON files (`analyze --out`), one per arrangement, drawn side by side. */
  analyses?: string[];
  /** One label per analysis (default: the file name without `.json`, made unique). */
  labels?: string[];
  /** Diversity JSON files (`diversity --out`), one per dataset, compared side by side. */
  diversity?: string[];
  /** One label per diversity file (default: the file name without `.json`, made unique). */
  diversityLabels?: string[];
  /** The similarity measure drawn per test task (default `cos-avg`). */
  taskMeasure?: keyof CurveSet;
  /** Test tasks drawn as per-task curve panels at most (default 12); the page says when more exist. */
  maxTaskPanels?: number;
  /** Training runs: a run directory holding `curves.json`, or the curves file itself. */
  trainRuns?: string[];
  /** Run manifests to show besides the ones found next to each analysis' training file. */
  manifests?: string[];
  /** Overlay analyses of different training or test sets (refused by default). */
  allowMixed?: boolean;
  /** The HTML file to write. */
  out: string;
  /** Also write every chart as PNG into this directory. */
  pngDir?: string;
  /** Also write every chart as SVG (and its Vega-Lite spec as `.vl.json`) into this directory. */
  svgDir?: string;
  /** Page title (default "instruct-arrange report"). */
  title?: string;
  /** TrueType/OpenType font for PNG text (default: DejaVu Sans from the system, see `findFont`). */
  font?: string;
  /** PNG pixels per SVG pixel (default 2). */
  pngScale?: number;
  /** Contamination table rows shown per training set (default 50). */
  tableRows?: number;
  /** Last optimizer step drawn on every step axis (default: all the analyses have). */
  maxSteps?: number;
  /** A logarithmic step axis (step 0 is left out). */
  logSteps?: boolean;
  /** Regular expression grouping task names for the per-task charts (first capture group, else the match). */
  taskGroup?: string;
  /** Panels of the curves charts: measures among the nine curves and "wsd" (default all). */
  measures?: string[];
  /**
   * Figure mode: draw only this chart (see ANALYSIS_CHARTS) into `out`, a .svg or .png file, with the
   * plotted data as CSV beside it (same name, .csv), instead of the page.
   */
  figure?: string;
  /** Figure width in inches (default 3.25, one column of a two-column paper; 6.75 spans both). */
  figureWidth?: number;
  /** PNG figure resolution in dots per inch (default 300). */
  dpi?: number;
  onProgress?: ProgressSink;
}

/** One point of `RUN_DIR/curves.json` (written by `train`). */
export interface TrainCurvePoint {
  step: number;
  examples: number;
  trainLoss: number | null;
  test: {
    loss: number;
    tokenLoss: number;
    perTask: Record<string, number>;
    examples: number;
    unfit: number;
  };
}

/** `RUN_DIR/curves.json`: loss during training, on the same step axis as an analysis' checkpoints. */
export interface TrainCurves {
  tool: "instruct-arrange";
  version: string;
  kind: "train-curves";
  label: string;
  batchSize: number;
  evalEvery: number;
  points: TrainCurvePoint[];
}

export interface ReportArrangement {
  label: string;
  /** The analysis file as given. */
  path: string;
  analysis: Analysis;
}

export interface ReportRun {
  label: string;
  /** The curves file read. */
  path: string;
  curves: TrainCurves;
}

export interface ReportManifest {
  /** What the manifest belongs to, e.g. `arrange run of nft`. */
  title: string;
  path: string;
  json: unknown;
}

export interface ReportDiversity {
  label: string;
  /** The diversity file as given. */
  path: string;
  report: DiversityReport;
}

/** Everything a report draws, loaded and checked. */
export interface ReportData {
  title: string;
  arrangements: ReportArrangement[];
  runs: ReportRun[];
  manifests: ReportManifest[];
  diversity: ReportDiversity[];
}

/** Choices that shape the charts (not the data): see ReportOptions. */
export interface ChartOptions {
  taskMeasure: keyof CurveSet;
  maxTaskPanels: number;
  /** Last optimizer step drawn on the step axis (default: all). */
  maxSteps?: number;
  /** A logarithmic step axis (step 0 is left out). */
  logSteps: boolean;
  /** Groups tasks for the per-task charts: the first capture group (else the match) names the group. */
  taskGroup?: RegExp;
  /** Panels of the curves charts (the nine measures and "wsd"; default all). */
  measures?: string[];
  /** Figure mode: the chart's whole width in px (1 px = 1 pt), with smaller type. */
  width?: number;
}

/** One figure: a Vega-Lite spec with the words shown around it. */
export interface ReportChart {
  /** File-name-safe id: the image is `<name>.png` / `<name>.svg`. */
  name: string;
  title: string;
  /** What the chart shows, for the page and for screen readers. */
  caption: string;
  spec: TopLevelSpec;
}

export interface ReportResult {
  out: string;
  /** Figure mode: the CSV written beside the figure. */
  csv?: string;
  charts: string[];
  /** Image files written (PNG, SVG, Vega-Lite JSON). */
  images: string[];
  /** Manifests shown. */
  manifests: string[];
  bytes: number;
}
