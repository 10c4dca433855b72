import type { Matrix } from "../core/types.js";
import { groupMeans } from "../linalg/group-means.js";
import type { TaskGroups } from "./task-groups.js";

/** Coarse granularity (section 3.2.2): one unit per task, its embedding the mean of its examples'. */
export function taskEmbeddings(train: Matrix, groups: TaskGroups): Matrix {
  const count = groups.task.length;
  return {
    data: groupMeans(train.data, train.rows, train.cols, groups.groupOf, count),
    rows: count,
    cols: train.cols,
  };
}

/**
 * Expands a sequence of task units into rows: each task's examples follow in input order.
 * Returns the rows and, per row position, the unit sequence position it came from.
 */
export function expandUnits(
  unitSequence: Int32Array,
  groups: TaskGroups,
): { rows: Int32Array; from: Int32Array } {
  let total = 0;
  for (const g of unitSequence) total += groups.start[g + 1]! - groups.start[g]!;
  const rows = new Int32Array(total);
  const from = new Int32Array(total);
  let k = 0;
  for (let p = 0; p < unitSequence.length; p++) {
    const g = unitSequence[p]!;
    for (let r = groups.start[g]!; r < groups.start[g + 1]!; r++) {
      rows[k] = groups.rows[r]!;
      from[k] = p;
      k++;
    }
  }
  return { rows, from };
}
