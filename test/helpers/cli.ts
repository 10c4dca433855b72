import { type CliRun, runCli } from "./run-cli.js";

export { ROOT, requireBuiltCli } from "./run-cli.js";

/** Run the built CLI as a user would (a fresh node process), from the repository root (runCli's short form). */
export function cli(args: string[], cwd?: string): CliRun {
  return runCli(args, { cwd });
}
