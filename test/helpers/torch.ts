import { spawnSync } from "node:child_process";
import { describe } from "vitest";

/** The first Python that imports torch (the trainer's own search order), or null. */
export function torchPython(): string | null {
  const candidates = [process.env.INSTRUCT_ARRANGE_PYTHON, "python3", "/usr/bin/python3"].filter(
    (p): p is string => p !== undefined && p !== "",
  );
  for (const p of candidates) {
    const r = spawnSync(p, ["-c", "import torch"], { encoding: "utf8" });
    if (r.status === 0) return p;
  }
  return null;
}

export const TORCH_PYTHON = torchPython();

/** Training options of the end-to-end experiment tests: builtin:tiny, 2 steps, 8 test examples, one thread. */
export const TINY_TRAINING = {
  model: "builtin:tiny",
  maxSteps: 2,
  evalEvery: 2,
  evalMaxExamples: 8,
  threads: 1,
  python: TORCH_PYTHON ?? undefined,
};

/**
 * `describe` for tests that need PyTorch: skipped with a visible message where no Python has torch,
 * but failing in CI (CI=true), where .ci/run installs python3-torch.
 */
export const describeTorch: typeof describe = (() => {
  if (TORCH_PYTHON !== null) return describe;
  if (process.env.CI === "true")
    return ((name: string) =>
      describe(name, () => {
        throw new Error(
          "CI=true but no Python with PyTorch: .ci/run must install python3-torch (apt-get install python3-torch)",
        );
      })) as unknown as typeof describe;
  process.stderr.write(
    "\n[instruct-arrange tests] SKIPPING training tests: no python3 with PyTorch (apt-get install python3-torch, or set INSTRUCT_ARRANGE_PYTHON)\n",
  );
  return describe.skip as unknown as typeof describe;
})();
