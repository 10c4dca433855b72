import { spawnSync } from "node:child_process";
import { describe } from "vitest";

/** The first Python (INSTRUCT_ARRANGE_PYTHON, python3, /usr/bin/python3) that imports `module`, or null. */
export function pythonWith(module: string): string | null {
  const candidates = [process.env.INSTRUCT_ARRANGE_PYTHON, "python3", "/usr/bin/python3"].filter(
    (p): p is string => p !== undefined && p !== "",
  );
  for (const p of candidates) {
    const r = spawnSync(p, ["-c", `import ${module}`], { encoding: "utf8" });
    if (r.status === 0) return p;
  }
  return null;
}

/**
 * `describe` for tests that compare with a Python module used as the reference: skipped with a visible
 * message where no Python has it, but failing in CI (CI=true), where .ci/run installs `debianPackage`.
 */
export function describeWithPython(module: string, debianPackage: string): typeof describe {
  if (pythonWith(module) !== null) return describe;
  if (process.env.CI === "true")
    return ((name: string) =>
      describe(name, () => {
        throw new Error(
          `CI=true but no Python imports ${module}: .ci/run must install ${debianPackage} (apt-get install ${debianPackage})`,
        );
      })) as unknown as typeof describe;
  process.stderr.write(
    `\n[instruct-arrange tests] SKIPPING tests against Python's ${module}: no python3 imports it (apt-get install ${debianPackage}, or set INSTRUCT_ARRANGE_PYTHON)\n`,
  );
  return describe.skip as unknown as typeof describe;
}
