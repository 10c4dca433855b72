import type { ChartOptions, ReportArrangement } from "../types.js";

/** Arrangements of one training set: the order-independent charts are drawn once for them. */
export interface TrainingSet {
  label: string;
  members: ReportArrangement[];
}

/** What makes two analyses' training sets the same set: the content hash, else what depends only on the set. */
function setKey(a: ReportArrangement, useHash: boolean): string {
  const t = a.analysis.inputs.train;
  if (useHash) return `hash ${t.contentHash}`;
  return JSON.stringify([
    t.rows,
    a.analysis.inputs.test.path,
    a.analysis.wsd.histogram.counts,
    a.analysis.wsd.histogram.min,
    a.analysis.coverage.rows.map((r) => r.nearest[0]?.similarity ?? null),
  ]);
}

/**
 * Arrangements grouped by training set, in the order given: arrangements of one set (the same rows in
 * another order) share their WSD distribution, coverage, rounds and projection.
 */
export function trainingSets(arrangements: ReportArrangement[]): TrainingSet[] {
  const groups = new Map<string, ReportArrangement[]>();
  // Analyses written before content hashes: compare what depends only on the set, for all of them.
  const useHash = arrangements.every((a) => typeof a.analysis.inputs.train.contentHash === "string");
  for (const a of arrangements) {
    const k = setKey(a, useHash);
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  return [...groups.values()].map((members) => ({
    label:
      members.length === 1 ? members[0]!.label : `training set of ${members.map((m) => m.label).join(", ")}`,
    members,
  }));
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
export const SET_COLOR = "#4c78a8";

/** Row-facet labels read left to right above each panel, not rotated beside it. */
export const ROW_HEADER = {
  labelAngle: 0,
  labelOrient: "top" as const,
  labelAnchor: "start" as const,
  labelFontWeight: "bold" as const,
  labelLimit: 600,
};

export function setWidth(o: ChartOptions): number {
  return o.width === undefined ? 520 : Math.max(80, o.width - 70);
}
