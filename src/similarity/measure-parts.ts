import type { Aggregate, Measure, Metric } from "../core/types.js";

/** The aggregates a measure is computed from: wsd needs cosine avg and min. */
export function measureParts(measure: Measure): { metric: Metric; aggregates: Aggregate[] } {
  switch (measure) {
    case "wsd":
      return { metric: "cosine", aggregates: ["avg", "min"] };
    case "cos-min":
    case "cos-max":
    case "cos-avg":
    case "cos-centroid":
      return { metric: "cosine", aggregates: [measure.slice(4) as Aggregate] };
    case "euc-min":
    case "euc-max":
    case "euc-avg":
    case "euc-centroid":
      return { metric: "euclidean", aggregates: [measure.slice(4) as Aggregate] };
    default:
      throw new RangeError(`unknown measure "${String(measure)}"`);
  }
}
