import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll } from "vitest";
import { EXAMPLE_TEST, EXAMPLE_TRAIN } from "./tmp.js";

/**
 * The one way tests run the built CLI as a user would: a fresh node process from the repository root,
 * killed (SIGKILL) after its time limit, so a hang is reported as `timedOut` instead of stalling the
 * suite; plus the argument lists and fixtures many CLI and fault tests share.
 */

export const ROOT = new URL("../../", import.meta.url).pathname;
export const BIN = join(ROOT, "dist/src/cli/main.js");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed for passing its time limit: a hang. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Default 300 s. */
  timeoutMs?: number;
  /** Node options before the script, e.g. ["--import", preload]. */
  nodeArgs?: string[];
}

const DEFAULT_TIMEOUT_MS = 300_000;

/** Run the built CLI and wait for it (blocks this process: use runCliAsync when a test server must answer). */
export function runCli(args: readonly string[], o: CliRunOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [...(o.nodeArgs ?? []), BIN, ...args], {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, ...o.env },
    encoding: "utf8",
    timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: "SIGKILL",
    input: o.input,
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  return { code: r.status, signal: r.signal, timedOut, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * Start the built CLI without blocking this process (a test's HTTP server keeps answering): the child,
 * to signal or kill, and its result.
 */
export function startCli(
  args: readonly string[],
  o: Omit<CliRunOptions, "input"> = {},
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), BIN, ...args], {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
  return { child, done };
}

/** Run the built CLI without blocking this process, and wait for its result. */
export function runCliAsync(args: readonly string[], o: Omit<CliRunOptions, "input"> = {}): Promise<CliRun> {
  return startCli(args, o).done;
}

/** Fail the test file early, with the fix, when the CLI has not been built. */
export function requireBuiltCli(): void {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  });
}

/**
 * `arrange` of `train` against `test` (default the bundled example) into `out`, with the n-gram embedder
 * (no model to load) unless `embedder` names another, or is null (precomputed embeddings in `extra`).
 */
export function arrangeArgs(
  out: string,
  o: {
    train?: string;
    test?: string;
    metadata?: string;
    embedder?: string | null;
    extra?: readonly string[];
  } = {},
): string[] {
  const embedder = o.embedder === undefined ? "ngram" : o.embedder;
  return [
    "arrange",
    "--train",
    o.train ?? EXAMPLE_TRAIN,
    "--test",
    o.test ?? EXAMPLE_TEST,
    "--out",
    out,
    ...(o.metadata === undefined ? [] : ["--metadata", o.metadata]),
    ...(embedder === null ? [] : ["--embedder", embedder]),
    ...(o.extra ?? []),
  ];
}

/** `analyze` of an arranged file (with its metadata) against `test` into `out`, n-gram embedder. */
export function analyzeArgs(
  arranged: string,
  metadata: string,
  out: string,
  o: { test?: string; extra?: readonly string[] } = {},
): string[] {
  return [
    "analyze",
    "--train",
    arranged,
    "--test",
    o.test ?? EXAMPLE_TEST,
    "--metadata",
    metadata,
    "--out",
    out,
    "--embedder",
    "ngram",
    ...(o.extra ?? []),
  ];
}

/** The files of an arranged-and-analyzed fixture of the example data. */
export interface AnalyzedFixture {
  arranged: string;
  metadata: string;
  analysis: string;
}

/**
 * DIR/arr.jsonl, DIR/meta.jsonl and DIR/an.json of the example data, made with the CLI through `run`
 * (spawned by default; the write-fault tests pass their in-process runner so injected faults apply).
 */
export async function analyzedFixture(
  dir: string,
  run: (
    args: string[],
  ) => { code: number | null; stderr: string } | Promise<{ code: number | null; stderr: string }> = (args) =>
    runCli(args),
): Promise<AnalyzedFixture> {
  const f = {
    arranged: join(dir, "arr.jsonl"),
    metadata: join(dir, "meta.jsonl"),
    analysis: join(dir, "an.json"),
  };
  for (const args of [
    arrangeArgs(f.arranged, { metadata: f.metadata, extra: ["--quiet"] }),
    analyzeArgs(f.arranged, f.metadata, f.analysis, { extra: ["--quiet"] }),
  ]) {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`fixture: ${args.slice(0, 1).join(" ")} exited ${r.code}: ${r.stderr}`);
  }
  return f;
}
