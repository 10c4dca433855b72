import type { Rng } from "../core/rng.js";
import { scheduleGroups } from "./schedule-groups.js";
import type { TaskGroups } from "./task-groups.js";

/** Cluster schedule (section 3.1): each task's examples contiguous, tasks in schedule order. */
export function arrangeCluster(groups: TaskGroups, shuffle?: Rng): Int32Array {
  const order = new Int32Array(groups.rows.length);
  let k = 0;
  for (const l of scheduleGroups(groups, shuffle)) {
    order.set(l, k);
    k += l.length;
  }
  return order;
}
