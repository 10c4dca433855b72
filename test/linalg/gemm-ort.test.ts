import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm } from "../../src/linalg/gemm-ts.js";
import type { GemmEngine } from "../../src/linalg/types.js";
import { naive, randomArray, shapes } from "./helpers.js";

describe("onnxruntime gemm", () => {
  let ort: GemmEngine;
  beforeAll(async () => {
    ort = await createOrtGemm({ threads: 2 });
  });
  afterAll(async () => {
    await ort.dispose();
  });

  it("agrees with the TypeScript engine", async () => {
    const ts = createTsGemm();
    for (const [ra, rb, d] of [...shapes, [300, 1000, 384] as [number, number, number]]) {
      for (const alpha of [1, -1, -2]) {
        const a = randomArray(ra * d, ra * 3 + d);
        const b = randomArray(rb * d, rb * 5 + d);
        const x = await ort.multiplyNT(a, ra, b, rb, d, alpha);
        const y = await ts.multiplyNT(a, ra, b, rb, d, alpha);
        expect(x.length).toBe(ra * rb);
        let worst = 0;
        for (let t = 0; t < x.length; t++) worst = Math.max(worst, Math.abs(x[t]! - y[t]!));
        expect(worst).toBeLessThan(1e-4 * Math.sqrt(d));
      }
    }
  });

  it("writes into the caller's buffer and reads views of larger arrays", async () => {
    const big = Float32Array.from([9, 9, 1, 2, 3, 4, 5, 6]);
    const store = new Float32Array(4);
    const out = store.subarray(1, 3);
    const r = await ort.multiplyNT(big.subarray(2, 4), 1, big.subarray(4, 8), 2, 2, -1, out);
    expect(r).toBe(out);
    expect(Array.from(store)).toEqual([0, -11, -17, 0]);
  });

  it("is exact on small integers (quantized data stays tie-exact)", async () => {
    const a = Float32Array.from({ length: 64 }, (_, i) => (i % 3) - 1);
    const b = Float32Array.from({ length: 128 }, (_, i) => (i % 5) - 2);
    const x = await ort.multiplyNT(a, 4, b, 8, 16, -1);
    const ref = naive(a, 4, b, 8, 16, -1);
    expect(Array.from(x)).toEqual(Array.from(ref));
  });
});
