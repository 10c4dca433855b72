import type { Analysis } from "../../analyze/types.js";
import type { ExperimentResult } from "../../experiment/result.js";
import type { ReportChart } from "../types.js";
import { experimentAreasSpec } from "./experiment-areas.js";
import { experimentCurvesSpec } from "./experiment-curves.js";
import { experimentSimilaritySpec } from "./experiment-similarity.js";

/** The experiment page's charts, in page order (the similarity chart only with analyses). */
export function experimentCharts(
  result: ExperimentResult,
  analyses: ReadonlyMap<string, Analysis> = new Map(),
): ReportChart[] {
  const window = result.aucSteps === null ? "every evaluated step" : `steps 0–${result.aucSteps}`;
  const similarity = experimentSimilaritySpec(result, analyses);
  return [
    {
      name: "experiment-curves",
      title: "Test loss against steps",
      caption: `Per arm, the test loss on the unseen tasks averaged over the seeds (line) and its range over the seeds (band), at every evaluated step.`,
      spec: experimentCurvesSpec(result),
    },
    {
      name: "experiment-areas",
      title: "Area under the early curve",
      caption: `Per arm and seed, the trapezoid area under the test-loss curve over ${window} divided by its steps (the curve's mean; lower = the unseen tasks were learned sooner); the bar spans mean ± one standard deviation over seeds.`,
      spec: experimentAreasSpec(result),
    },
    ...(similarity
      ? [
          {
            name: "experiment-similarity",
            title: "Test loss against the similarity of the data seen",
            caption:
              "Per arm, the test loss (mean over seeds, top) and, on the same step axis, how similar the training data seen by each step is to the test set " +
              "(mean over the arm's arranged files; lower = more similar): cos-avg of the whole prefix and of the last interval alone, the prefix's bigram KL and mean WSD. " +
              "If similarity drove the loss, the arms would be ordered alike in every panel.",
            spec: similarity,
          },
        ]
      : []),
  ];
}
