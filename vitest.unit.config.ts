import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

/**
 * `npm run test:unit`: the pure unit tests, in process, without the built CLI, child processes (the
 * Python trainer, reference Pythons, spawned CLIs), a browser or a real embedding model. A test file
 * is one when it mentions none of the markers below; the end-to-end folders are left out whole. The
 * full suite (`npm test`) runs everything.
 */
const END_TO_END_FOLDERS = ["test/cli/", "test/faults/", "test/examples/"];
const NOT_UNIT =
  /helpers\/(cli|run-cli|torch|python-module)\.js|node:child_process|playwright|describeTorch|describeWithPython|worker_threads|createEmbedder\(\s*"(minilm|use|use-lite|hf:)|transformers\.test|use-lite|onnx-backend|gpt2-fixture|bert-fixture|SHARED_P3|shared\/data|findPython|\btrain\(|#!\/bin\/sh/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.name.endsWith(".test.ts") ? [path] : [];
  });
}

const unit = testFiles("test")
  .filter((f) => !END_TO_END_FOLDERS.some((d) => f.startsWith(d)))
  .filter((f) => !NOT_UNIT.test(f) && !NOT_UNIT.test(readFileSync(f, "utf8")))
  .sort();

export default defineConfig({
  test: {
    include: unit,
    testTimeout: 60_000,
    pool: "threads",
    globalSetup: ["test/helpers/global-cache.ts"],
  },
});
