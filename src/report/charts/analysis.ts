import type { ChartOptions, ReportChart } from "../types.js";
import { batchTasksSpec } from "./batch-tasks.js";
import { compositionGroups, compositionSpec, OTHER_GROUP } from "./composition.js";
import { coverageExtent, coverageSpec } from "./coverage.js";
import { curvesSpec } from "./curves.js";
import { projectionColouring, projectionSpec } from "./projection.js";
import { roundsSpec } from "./rounds.js";
import { chartOptions, type Data, taskGroupOf } from "./shared.js";
import { MAX_TASK_CURVE_POINTS, taskCurvesSpec, taskPanels } from "./task-curves.js";
import { trainingSets } from "./training-sets.js";
import { windowCurvesSpec } from "./window-curves.js";
import { wsdSpec } from "./wsd.js";

/** Names of the analysis charts, in page order (those a figure can draw). */
export const ANALYSIS_CHARTS = [
  "curves",
  "window-curves",
  "task-curves",
  "composition",
  "batch-tasks",
  "wsd",
  "rounds",
  "projection",
  "coverage",
] as const;

/** The analysis charts of a report, in page order (charts without data in any analysis are left out). */
export function analysisCharts(data: Data, options: Partial<ChartOptions> = {}): ReportChart[] {
  const o = chartOptions(options);
  if (data.arrangements.length === 0) return [];
  const several = data.arrangements.length > 1;
  const window = o.maxSteps !== undefined ? ` Steps up to ${o.maxSteps} (--max-steps).` : "";
  const log = o.logSteps ? " The step axis is logarithmic (step 0 is left out)." : "";
  const rounds = data.arrangements.some((a) => (a.analysis.tma?.starts ?? []).some((s) => s.position > 0))
    ? " Dashed vertical rules mark where a new TMA round begins."
    : "";
  const axisNotes = window + log + rounds;
  const charts: ReportChart[] = [
    {
      name: "curves",
      title: data.runs.length > 0 ? "Loss and similarity curves" : "Similarity curves",
      caption:
        "Distance between the training prefix seen at each checkpoint (all rows so far) and the whole test set, by measure " +
        "(lower = more similar; cosine distance is the negative cosine similarity; wsd is the prefix rows' mean WSD)" +
        (several ? ", one colour per arrangement" : "") +
        (data.runs.length > 0 ? "; training runs' loss in the first panels on the same step axis." : ".") +
        axisNotes,
      spec: curvesSpec(data, o),
    },
  ];
  const windowSpec = windowCurvesSpec(data, o);
  if (windowSpec)
    charts.push({
      name: "window-curves",
      title: "Similarity of each checkpoint interval",
      caption:
        "The same measures for the rows trained between two checkpoints alone (what the model sees at that moment, " +
        "not everything so far); lower = more similar." +
        axisNotes,
      spec: windowSpec,
    });
  const taskSpec = taskCurvesSpec(data, o);
  if (taskSpec) {
    const { tasks, total } = taskPanels(data.arrangements, o.maxTaskPanels, taskGroupOf(o.taskGroup));
    const what = o.taskGroup ? "task group" : "task";
    charts.push({
      name: "task-curves",
      title: `Similarity curves per test ${what} (${o.taskMeasure})`,
      caption:
        `${o.taskMeasure} between the training prefix at each checkpoint and one test ${what}'s rows, one panel per ${what}` +
        (o.taskGroup
          ? ` (--task-group ${o.taskGroup.source}: min, max or row-weighted mean over the group's tasks)`
          : "") +
        (several ? ", one colour per arrangement" : "") +
        "; lower = more similar" +
        (tasks.length < total
          ? `. ${tasks.length} of ${total} shown (those with the most test rows); --max-task-panels ${total} shows all.`
          : `; all ${total}.`) +
        ` At most ${MAX_TASK_CURVE_POINTS} checkpoints are drawn per curve (the last included).` +
        " --task-measure picks another measure, --task-group groups tasks." +
        axisNotes,
      spec: taskSpec,
    });
  }
  const mix = compositionSpec(data, o);
  if (mix) {
    const { groups, total } = compositionGroups(data, o);
    charts.push({
      name: "composition",
      title: "Task mix over training",
      caption:
        `Share of each checkpoint interval's rows per training ${o.taskGroup ? `task group (--task-group ${o.taskGroup.source})` : "task"}, stacked, one panel per arrangement` +
        (total > groups.length
          ? `; the ${groups.length} of ${total} with the most rows are named, the rest drawn as "${OTHER_GROUP}".`
          : ".") +
        axisNotes,
      spec: mix,
    });
  }
  const batch = batchTasksSpec(data, o);
  if (batch)
    charts.push({
      name: "batch-tasks",
      title: "Distinct tasks per batch",
      caption:
        "How many different training tasks one optimizer batch holds, averaged over each checkpoint interval (1 = every batch from one task)." +
        axisNotes,
      spec: batch,
    });
  const sets = trainingSets(data.arrangements);
  const once =
    sets.length < data.arrangements.length
      ? ` Drawn once per training set: ${sets
          .filter((s) => s.members.length > 1)
          .map((s) => s.members.map((m) => m.label).join(", "))
          .join("; ")} hold the same rows in other orders.`
      : "";
  charts.push({
    name: "wsd",
    title: "WSD distribution",
    caption:
      "Histogram of WSD_i = AD_i + w·MD_i over the training rows (AD = mean, MD = minimum cosine distance to the test set; lower = more similar)." +
      once,
    spec: wsdSpec(data, o),
  });
  const roundsChart = roundsSpec(data, o);
  if (roundsChart)
    charts.push({
      name: "rounds",
      title: "TMA rounds",
      caption:
        "Rows taken in each Test-centric Multi-turn Arrangement round and the mean distance of those rows to the test point that took them." +
        once,
      spec: roundsChart,
    });
  const colouring = projectionColouring(sets[0]!.members[0]!, o);
  const { thresholdShown, hi } = coverageExtent(data);
  const threshold = data.arrangements[0]!.analysis.coverage.threshold;
  const embedders = [...new Set(data.arrangements.map((a) => a.analysis.embedder.id))];
  charts.push(
    {
      name: "projection",
      title: "2-D projection",
      caption:
        `PCA of the sampled training rows (colour = ${colouring === "round" ? "TMA round" : colouring === "task" ? "training task, the 10 largest named" : "none"}) and all test rows (red crosses).` +
        once,
      spec: projectionSpec(data, o),
    },
    {
      name: "coverage",
      title: "Test coverage",
      caption:
        `For each test row, the cosine similarity of its nearest training row (embedder ${embedders.join(", ")}), on an axis fitted to the values.` +
        (thresholdShown
          ? ` The dashed line is the contamination threshold ${threshold}.`
          : ` The contamination threshold ${threshold} lies beyond every value (the highest is ${hi.toPrecision(3)}), so it is not drawn.`) +
        " The threshold's meaning depends on the embedder: similarities of different embedders (e.g. ngram and MiniLM) are not on one scale." +
        once,
      spec: coverageSpec(data, o),
    },
  );
  return charts;
}
