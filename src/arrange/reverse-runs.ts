/**
 * Farthest-first from a nearest-first sequence: the runs of equal `groupKey` (a TMA round, or a rank
 * value) in reverse order, each run kept in its own (ascending index) order.
 * `positions` index `groupKey`; returns a new array.
 */
export function reverseRuns(positions: Int32Array, groupKey: ArrayLike<number>): Int32Array {
  const out = new Int32Array(positions.length);
  let k = 0;
  let end = positions.length;
  while (end > 0) {
    const key = groupKey[positions[end - 1]!]!;
    let begin = end - 1;
    while (begin > 0 && groupKey[positions[begin - 1]!]! === key) begin--;
    for (let p = begin; p < end; p++) out[k++] = positions[p]!;
    end = begin;
  }
  return out;
}
