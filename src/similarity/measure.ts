import type { Matrix, Measure } from "../core/types.js";
import { measureParts } from "./measure-parts.js";
import { type StreamOptions, trainTestAggregates } from "./train-test-aggregates.js";
import { weightedSimilarityDistance } from "./wsd.js";

export interface MeasureResult {
  /** The measure of every training row (a distance: smaller = nearer the test set). */
  values: Float64Array;
  /** wsd only: the weight w = |mean(AD) / mean(MD)|. */
  wsdWeight?: number;
  /** Nearest test row by cosine distance and that distance, when requested. */
  nearestTest?: Int32Array;
  nearestDistance?: Float32Array;
  warnings: string[];
}

/** One measure (`wsd`, `cos-avg`, `euc-min`, ...) of every training row against the test set, streaming. */
export async function computeMeasure(
  train: Matrix,
  test: Matrix,
  measure: Measure,
  options: StreamOptions & { nearest?: boolean },
): Promise<MeasureResult> {
  const { metric, aggregates } = measureParts(measure);
  const agg = await trainTestAggregates(
    train,
    test,
    { [metric]: aggregates, nearest: options.nearest === true },
    options,
  );
  const warnings = [...agg.warnings];
  let values: Float64Array;
  let wsdWeight: number | undefined;
  if (measure === "wsd") {
    const wsd = weightedSimilarityDistance(agg.cosine.avg!, agg.cosine.min!);
    values = wsd.values;
    wsdWeight = wsd.weight;
    if (wsd.degenerate) {
      warnings.push(
        "mean cosine-min distance is ~0, so the WSD weight |mean(AD)/mean(MD)| is undefined; used w = 1",
      );
    }
  } else {
    values = (metric === "cosine" ? agg.cosine : agg.euclidean)[aggregates[0]!]!;
  }
  const result: MeasureResult = { values, warnings };
  if (wsdWeight !== undefined) result.wsdWeight = wsdWeight;
  if (agg.nearestTest && agg.nearestDistance) {
    result.nearestTest = agg.nearestTest;
    result.nearestDistance = agg.nearestDistance;
  }
  return result;
}
