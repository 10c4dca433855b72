import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { createGemm } from "../../src/linalg/create-gemm.js";

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
