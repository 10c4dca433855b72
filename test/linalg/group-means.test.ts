import { describe, expect, it } from "vitest";
import { groupMeans } from "../../src/linalg/group-means.js";

describe("groupMeans", () => {
  it("averages the rows of each group; an empty group stays zero; a group id out of range is a RangeError", () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(groupMeans(m, 3, 2, Int32Array.from([1, 0, 1]), 3))).toEqual([3, 4, 3, 4, 0, 0]);
    expect(() => groupMeans(m, 3, 2, Int32Array.from([0, 5, 0]), 2)).toThrow(RangeError);
  });
});
