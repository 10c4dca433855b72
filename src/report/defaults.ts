/** Defaults of `report` (a module without the charting imports, so the CLI can show them cheaply). */
export const REPORT_DEFAULTS = {
  pngScale: 2,
  tableRows: 50,
  taskMeasure: "cos-avg" as const,
  maxTaskPanels: 12,
  figureWidth: 3.25,
  dpi: 300,
};
