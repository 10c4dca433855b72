import { spawnSync } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { expect } from "vitest";
import { writeNpy } from "../../src/data/npy.js";
import { type CliRun, ROOT, runCli as runSpawned } from "../helpers/run-cli.js";

/**
 * Scaffolding of the fault-injection suite: run the built CLI with a hard time limit and check the rule
 * every fault case must keep: exit 1 (never a signal, never a hang), a message naming the place and a
 * fix, no raw stack trace, nothing partial at any destination, no temporary file left behind.
 */

export { BIN, ROOT, requireBuiltCli } from "../helpers/run-cli.js";
export type Ran = CliRun;

/** Run the built CLI in a fresh node process, killed (SIGKILL) after `timeoutMs` (default 60 s). */
export function runCli(
  args: string[],
  o: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Ran {
  return runSpawned(args, { ...o, timeoutMs: o.timeoutMs ?? 60_000 });
}

/** Run a node script (ES module source) with a hard time limit, e.g. to call library code that might spin. */
export function runNode(source: string, timeoutMs = 30_000): Ran {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", source], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  return { code: r.status, signal: r.signal, timedOut, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * The rule for a fault: no hang, no signal, exit 1, the message names `place` (e.g. `nan.npy:4`) and
 * gives a fix, and no JavaScript stack trace reaches the user.
 */
export function expectCleanFailure(r: Ran, place: string | RegExp): void {
  expect(r.timedOut, `hung (killed after its time limit); stderr: ${r.stderr}`).toBe(false);
  expect(r.signal, `died of a signal; stderr: ${r.stderr}`).toBeNull();
  expect(r.code, r.stderr).toBe(1);
  if (typeof place === "string") expect(r.stderr).toContain(place);
  else expect(r.stderr).toMatch(place);
  expect(r.stderr).toContain("fix:");
  expect(r.stderr).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
}

/** No file of the directory is partial or temporary: exactly `names` are there. */
export async function expectOnly(dir: string, names: string[]): Promise<void> {
  expect((await readdir(dir)).sort()).toEqual([...names].sort());
}

/** `n` alpaca rows in a JSONL file, with 2 tasks. */
export async function writeRows(path: string, n: number, prefix = "row"): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      JSON.stringify({ instruction: `${prefix} ${i} asks`, output: `answer ${i % 5}`, task: `t${i % 2}` }),
    );
  await writeFile(path, `${lines.join("\n")}\n`);
}

/** An n × d .npy of distinct finite values, with `bad` written into the given cells. */
export async function writeVectors(
  path: string,
  n: number,
  d: number,
  bad: { row: number; col: number; value: number }[] = [],
): Promise<void> {
  const data = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) data[i] = Math.sin(i * 0.731 + 0.2);
  for (const b of bad) data[b.row * d + b.col] = b.value;
  await writeNpy(path, { data, rows: n, cols: d });
}
