/**
 * Rows grouped by task, tasks in order of first appearance, rows of a task in input order
 * (compressed layout: group g's rows are rows[start[g] .. start[g+1])).
 */
export interface TaskGroups {
  /** Task id (index into TaskIndex.names) of each group, in order of first appearance. */
  task: Int32Array;
  /** start[g] .. start[g+1] delimit group g in `rows`; length groups + 1. */
  start: Int32Array;
  rows: Int32Array;
  /** Group of every row. */
  groupOf: Int32Array;
}

export function groupByTask(taskOf: Int32Array, taskCount: number): TaskGroups {
  const n = taskOf.length;
  const groupOfTask = new Int32Array(taskCount).fill(-1);
  const taskList: number[] = [];
  const counts: number[] = [];
  const groupOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = taskOf[i]!;
    let g = groupOfTask[t]!;
    if (g < 0) {
      g = taskList.length;
      groupOfTask[t] = g;
      taskList.push(t);
      counts.push(0);
    }
    groupOf[i] = g;
    counts[g]!++;
  }
  const groups = taskList.length;
  const start = new Int32Array(groups + 1);
  for (let g = 0; g < groups; g++) start[g + 1] = start[g]! + counts[g]!;
  const fill = start.slice(0, groups);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!;
    rows[fill[g]!++] = i;
  }
  return { task: Int32Array.from(taskList), start, rows, groupOf };
}
