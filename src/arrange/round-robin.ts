import type { Rng } from "../core/rng.js";
import { scheduleGroups } from "./schedule-groups.js";
import type { TaskGroups } from "./task-groups.js";

/**
 * Round-robin schedule (section 3.1): each pass takes the next example of every task that still has one,
 * tasks in schedule order; tasks that run out drop out. O(n + tasks).
 */
export function arrangeRoundRobin(groups: TaskGroups, shuffle?: Rng): Int32Array {
  const lists = scheduleGroups(groups, shuffle);
  const order = new Int32Array(groups.rows.length);
  let active = lists.filter((l) => l.length > 0);
  let k = 0;
  for (let pass = 0; active.length > 0; pass++) {
    for (const l of active) order[k++] = l[pass]!;
    active = active.filter((l) => l.length > pass + 1);
  }
  return order;
}
