import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll } from "vitest";

export const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "dist/src/cli/main.js");

/** Run the built CLI as a user would (a fresh node process), from the repository root. */
export function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Fail the test file early, with the fix, when the CLI has not been built. */
export function requireBuiltCli(): void {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  });
}
