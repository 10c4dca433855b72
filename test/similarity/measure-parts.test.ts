import { describe, expect, it } from "vitest";
import { measureParts } from "../../src/similarity/measure-parts.js";

describe("measureParts", () => {
  it("measureParts maps every measure", () => {
    expect(measureParts("wsd")).toEqual({ metric: "cosine", aggregates: ["avg", "min"] });
    expect(measureParts("euc-centroid")).toEqual({ metric: "euclidean", aggregates: ["centroid"] });
    expect(measureParts("cos-max")).toEqual({ metric: "cosine", aggregates: ["max"] });
  });
});
