import { usageError } from "../core/errors.js";
import type { Select } from "../core/types.js";

/** Checks a budget M against the n rows available: an integer in 1..n. */
export function checkBudget(budget: number, available: number): void {
  if (!Number.isSafeInteger(budget) || budget < 1 || budget > available) {
    throw usageError(
      `budget must be a whole number from 1 to ${available} (the training rows available), got ${budget}`,
      "--budget",
      `Pass --budget with a value between 1 and ${available}, or leave it out to keep every row.`,
    );
  }
}

/**
 * Positions kept from a nearest-first sequence of `length` rows (appendix C.3), ascending:
 * min = the first M, max = the last M, min+max = the first ceil(M/2) and the last floor(M/2).
 */
export function selectPositions(length: number, budget: number, select: Select): Int32Array {
  checkBudget(budget, length);
  const out = new Int32Array(budget);
  if (select === "min") {
    for (let k = 0; k < budget; k++) out[k] = k;
  } else if (select === "max") {
    for (let k = 0; k < budget; k++) out[k] = length - budget + k;
  } else {
    const head = Math.ceil(budget / 2);
    const tail = budget - head;
    for (let k = 0; k < head; k++) out[k] = k;
    for (let k = 0; k < tail; k++) out[head + k] = length - tail + k;
  }
  return out;
}
