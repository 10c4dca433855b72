import { computeMeasure } from "../similarity/measure.js";
import { type SimilarityOutcome, type StrategyContext, time } from "./context.js";
import { expandUnits, taskEmbeddings } from "./granularity.js";
import { sortAscending } from "./sort-ascending.js";

/**
 * Rank (section 3.2): the nearest-first sequence by a measure, ascending, ties by the lower index.
 * Instance granularity ranks rows; task granularity ranks tasks (mean embeddings) and lists each task's
 * examples in input order. The order and budget are applied by the caller.
 */
export async function rankSequence(ctx: StrategyContext): Promise<SimilarityOutcome> {
  const { options, gemm, onProgress } = ctx;
  const stream = {
    gemm,
    onProgress,
    ...(options.blockRows === undefined ? {} : { blockRows: options.blockRows }),
  };
  if (options.granularity === "instance") {
    const m = await time(ctx, "distances", () =>
      computeMeasure(ctx.train, ctx.test, options.measure, { ...stream, nearest: true }),
    );
    ctx.warnings.push(...m.warnings);
    const rows = await time(ctx, "rank", () => sortAscending(m.values));
    const value = new Float64Array(rows.length);
    for (let p = 0; p < rows.length; p++) value[p] = m.values[rows[p]!]!;
    const outcome: SimilarityOutcome = {
      sequence: { rows, total: rows.length, groupKey: value, value },
      ...(m.nearestTest && m.nearestDistance
        ? { nearestTest: m.nearestTest, nearestDistance: m.nearestDistance }
        : {}),
    };
    if (m.wsdWeight !== undefined) outcome.wsdWeight = m.wsdWeight;
    return outcome;
  }
  const groups = ctx.groups();
  const units = taskEmbeddings(ctx.train, groups);
  const m = await time(ctx, "distances", () =>
    computeMeasure(units, ctx.test, options.measure, { ...stream, stage: "distances:tasks" }),
  );
  ctx.warnings.push(...m.warnings);
  const unitSeq = await time(ctx, "rank", () => sortAscending(m.values));
  const { rows, from } = expandUnits(unitSeq, groups);
  const value = new Float64Array(rows.length);
  for (let p = 0; p < rows.length; p++) value[p] = m.values[unitSeq[from[p]!]!]!;
  const outcome: SimilarityOutcome = { sequence: { rows, total: rows.length, groupKey: value, value } };
  if (m.wsdWeight !== undefined) outcome.wsdWeight = m.wsdWeight;
  return outcome;
}
