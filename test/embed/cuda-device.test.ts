import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ArrangeError } from "../../src/core/errors.js";
import {
  CUDA_PROVIDER_LIBRARY,
  checkCudaProvider,
  onnxruntimeBinDir,
} from "../../src/embed/backends/transformers.js";
import { createEmbedder } from "../../src/embed/index.js";
import { writeBertFixture } from "../../src/embed/testing/bert-fixture.js";
import { tempDir } from "../helpers/tmp.js";

const providerInstalled = existsSync(join(onnxruntimeBinDir(), CUDA_PROVIDER_LIBRARY));

describe("--device cuda (minilm, hf:)", () => {
  it("is refused with the install fix when onnxruntime-node's CUDA provider is not beside its binding", async () => {
    const dir = await tempDir();
    let err: ArrangeError | undefined;
    try {
      checkCudaProvider(dir);
    } catch (e) {
      err = e as ArrangeError;
    }
    expect(err).toMatchObject({ code: "embedder", option: "--device" });
    expect(err!.message).toContain(
      `CUDA execution provider is not installed (no ${join(dir, CUDA_PROVIDER_LIBRARY)})`,
    );
    expect(err!.fix).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12");
    expect(err!.fix).toContain("--device cpu");
    // With the library there, the check passes (whether a GPU answers shows when the session starts).
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, CUDA_PROVIDER_LIBRARY), "");
    expect(() => checkCudaProvider(dir)).not.toThrow();
  });

  it.skipIf(providerInstalled)(
    "stops createEmbedder before loading the model, here where it is not installed",
    async () => {
      const modelDir = join(await tempDir(), "tiny");
      await writeBertFixture(modelDir, { words: ["hello"] });
      const err = (await createEmbedder("minilm", { modelDir, device: "cuda" }).catch(
        (e: unknown) => e,
      )) as ArrangeError;
      expect(err).toMatchObject({ code: "embedder", option: "--device" });
      expect(err.message).toContain("--device cuda");
    },
  );
});
