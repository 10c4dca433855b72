import { type Rng, shuffleInPlace } from "../core/rng.js";
import type { TaskGroups } from "./task-groups.js";

/**
 * The groups of a task schedule in the order they are visited, each with its rows in the order they are
 * emitted: input order (first appearance; rows as read), or with `shuffle` a seeded shuffle of the
 * tasks and of the rows inside each task.
 */
export function scheduleGroups(groups: TaskGroups, shuffle: Rng | undefined): Int32Array[] {
  const count = groups.task.length;
  const lists: Int32Array[] = [];
  for (let g = 0; g < count; g++) lists.push(groups.rows.slice(groups.start[g]!, groups.start[g + 1]!));
  if (shuffle === undefined) return lists;
  const taskRng = shuffle.fork("tasks");
  const rowRng = shuffle.fork("rows");
  shuffleInPlace(lists, taskRng);
  for (const l of lists) shuffleInPlace(l, rowRng);
  return lists;
}
