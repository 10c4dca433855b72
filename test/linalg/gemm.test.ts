import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { createGemm } from "../../src/linalg/create-gemm.js";
import { createOrtGemm } from "../../src/linalg/gemm-ort.js";
import { createTsGemm, gemmNT } from "../../src/linalg/gemm-ts.js";
import type { GemmEngine } from "../../src/linalg/types.js";
import { prng } from "../arrange/helpers.js";

function randomArray(len: number, seed: number): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: len }, () => r() * 2 - 1);
}

function naive(
  a: Float32Array,
  ra: number,
  b: Float32Array,
  rb: number,
  d: number,
  alpha: number,
): Float64Array {
  const out = new Float64Array(ra * rb);
  for (let i = 0; i < ra; i++)
    for (let j = 0; j < rb; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k]! * b[j * d + k]!;
      out[i * rb + j] = alpha * s;
    }
  return out;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [2, 4, 16],
  [7, 130, 33],
  [64, 65, 384],
  [129, 3, 5],
  [0, 4, 3],
  [4, 0, 3],
];

describe("TypeScript gemm", () => {
  it("matches the naive product for odd shapes and alphas", () => {
    for (const [ra, rb, d] of shapes) {
      for (const alpha of [1, -1, -2, 0.5]) {
        const a = randomArray(ra * d, ra + d);
        const b = randomArray(rb * d, rb + d + 1);
        const out = new Float32Array(ra * rb);
        gemmNT(a, ra, b, rb, d, alpha, out);
        const ref = naive(a, ra, b, rb, d, alpha);
        for (let t = 0; t < out.length; t++) expect(out[t]).toBeCloseTo(ref[t]!, 5);
      }
    }
  });
  it("checks shapes", async () => {
    const g = createTsGemm();
    await expect(g.multiplyNT(new Float32Array(5), 2, new Float32Array(6), 2, 3)).rejects.toThrow(RangeError);
    await expect(
      g.multiplyNT(new Float32Array(6), 2, new Float32Array(6), 2, 3, 1, new Float32Array(3)),
    ).rejects.toThrow(RangeError);
  });
});

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

describe("createGemm", () => {
  it("gives the requested engine", async () => {
    const ts = await createGemm({ engine: "ts" });
    expect(ts.name).toBe("ts");
    expect(ts.fallbackReason).toBeUndefined();
    const ort = await createGemm({ threads: 1 });
    expect(ort.name).toBe("ort");
    expect(ort.threads).toBe(1);
    await ort.dispose();
  });
  it("refuses an unknown engine", async () => {
    await expect(createGemm({ engine: "blas" as "ts" })).rejects.toThrow(
      /expected "ort", "ort-cuda" or "ts"/,
    );
  });
});

describe("ort-cuda engine", () => {
  const lib = join(
    dirname(createRequire(import.meta.url).resolve("onnxruntime-node")),
    "..",
    "bin",
    "napi-v6",
    process.platform,
    process.arch,
    "libonnxruntime_providers_cuda.so",
  );
  it.skipIf(existsSync(lib))(
    "without onnxruntime-node's CUDA binaries: a usage error naming --engine and the fix",
    async () => {
      const e = await createGemm({ engine: "ort-cuda" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArrangeError);
      expect((e as ArrangeError).code).toBe("usage");
      expect((e as ArrangeError).option).toBe("--engine");
      expect((e as ArrangeError).message).toContain("CUDA");
      expect((e as ArrangeError).fix).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12");
      expect((e as ArrangeError).fix).toContain("--engine ort");
    },
  );
});
