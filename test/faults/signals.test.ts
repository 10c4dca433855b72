import { spawn } from "node:child_process";
import { copyFileSync, type FSWatcher, mkdirSync, readdirSync, watch, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, requireBuiltCli } from "../helpers/cli.js";
import { analyzeArgs, arrangeArgs } from "../helpers/run-cli.js";
import { SHARED_P3, tempDir } from "../helpers/tmp.js";
import { listFiles, snapshot, tempFiles } from "./helpers-writes.js";

// SIGINT or SIGTERM at any stage of arrange, embed, analyze and report: the process exits with 130 / 143,
// removes its staged and temporary files, and leaves the outputs that were there before as they were.
// (SIGKILL cannot be handled: hidden staged files may remain after one; data directories skip them.)

requireBuiltCli();

const BIN = join(ROOT, "dist/src/cli/main.js");
const PRELOAD = join(ROOT, "test/faults/slow-writes.mjs");
const SLOW_WRITE_MS = "150";

let fixtures: string;
let train: string;

beforeAll(async () => {
  fixtures = await tempDir("ia-signals-");
  // A part of the shared P3 data: large enough that each stage lasts a while, small enough to stay quick.
  train = join(fixtures, "train");
  mkdirSync(train);
  for (const f of readdirSync(SHARED_P3)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .slice(0, 12))
    copyFileSync(join(SHARED_P3, f), join(train, f));
  const ref = await runUntil(
    arrangeArgs(join(fixtures, "arr.jsonl"), { train: train, metadata: join(fixtures, "meta.jsonl") }),
    fixtures,
    undefined,
  );
  expect(ref.code, ref.stderr).toBe(0);
  const an = await runUntil(
    analyzeArgs(join(fixtures, "arr.jsonl"), join(fixtures, "meta.jsonl"), join(fixtures, "an.json")),
    fixtures,
    undefined,
  );
  expect(an.code, an.stderr).toBe(0);
}, 300_000);

type Trigger = { stage: string } | { write: true };

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stages: string[];
  fired: boolean;
}

/**
 * Run the CLI with --log-json and slow writes; send `signal` when `trigger` happens: the first progress event
 * of a stage, or the first hidden temporary file appearing in `outDir` (the write stage).
 */
function runUntil(
  args: string[],
  outDir: string,
  trigger: Trigger | undefined,
  signal: NodeJS.Signals = "SIGINT",
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PRELOAD, BIN, ...args, "--log-json"], {
      cwd: ROOT,
      env: { ...process.env, SLOW_WRITE_MS },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let pending = "";
    let fired = false;
    const stages: string[] = [];
    let watcher: FSWatcher | undefined;
    const fire = () => {
      if (fired) return;
      fired = true;
      child.kill(signal);
    };
    if (trigger !== undefined && "write" in trigger) {
      watcher = watch(outDir, { recursive: true }, (_event, name) => {
        if (name !== null && tempFiles([String(name)]).length > 0) fire();
      });
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no exit within 120 s (a hang): ${stderr.slice(-2000)}`));
    }, 120_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        let event: { event?: string; stage?: string };
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        if (event.event === "progress" && event.stage !== undefined && !stages.includes(event.stage)) {
          stages.push(event.stage);
          if (trigger !== undefined && "stage" in trigger && trigger.stage === event.stage) fire();
        }
      }
    });
    child.on("error", reject);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      watcher?.close();
      resolve({ code, signal: sig, stderr, stages, fired });
    });
  });
}

const commands: Record<string, { args: (out: string) => string[]; outputs: string[] }> = {
  arrange: {
    args: (out) => arrangeArgs(join(out, "arr.jsonl"), { train: train, metadata: join(out, "meta.jsonl") }),
    outputs: ["arr.jsonl", "arr.manifest.json", "meta.jsonl"],
  },
  embed: {
    args: (out) => ["embed", "--input", train, "--out", join(out, "e.npy"), "--embedder", "ngram"],
    outputs: ["e.npy", "e.npy.json"],
  },
  analyze: {
    args: (out) =>
      analyzeArgs(join(fixtures, "arr.jsonl"), join(fixtures, "meta.jsonl"), join(out, "an.json")),
    outputs: ["an.json"],
  },
  report: {
    args: (out) => ["report", "--analysis", join(fixtures, "an.json"), "--out", join(out, "r.html")],
    outputs: ["r.html"],
  },
};

async function withOldOutputs(outputs: string[]): Promise<{ out: string; before: Record<string, string> }> {
  const out = await tempDir("ia-signals-run-");
  for (const f of outputs) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    writeFileSync(join(out, f), `old ${f}\n`);
  }
  return { out, before: snapshot(out) };
}

describe("SIGINT at each stage", () => {
  for (const [name, { args, outputs }] of Object.entries(commands)) {
    it(`${name}: exit 130, no temporary file, old outputs intact`, async () => {
      // A run without a signal lists the stages (and checks the command works with these files).
      const ref = await withOldOutputs([]);
      const full = await runUntil(args(ref.out), ref.out, undefined);
      expect(full.code, full.stderr).toBe(0);
      expect(listFiles(ref.out)).toEqual(outputs);
      const triggers: Trigger[] = [...full.stages.map((stage) => ({ stage })), { write: true }];
      expect(triggers.length).toBeGreaterThan(1);
      for (const trigger of triggers) {
        const { out, before } = await withOldOutputs(outputs);
        const r = await runUntil(args(out), out, trigger);
        const label = `${name} at ${JSON.stringify(trigger)}`;
        expect(r.fired, `${label}: the trigger never happened`).toBe(true);
        expect(r.code, `${label}: ${r.stderr.slice(-1500)}`).toBe(130);
        expect(tempFiles(listFiles(out)), label).toEqual([]);
        expect(snapshot(out), `${label}: an old output changed`).toEqual(before);
      }
    }, 600_000);
  }
});

describe("SIGTERM", () => {
  it("arrange while writing: exit 143, no temporary file, old outputs intact", async () => {
    const { out, before } = await withOldOutputs(commands.arrange!.outputs);
    const r = await runUntil(commands.arrange!.args(out), out, { write: true }, "SIGTERM");
    expect(r.fired).toBe(true);
    expect(r.code, r.stderr.slice(-1500)).toBe(143);
    expect(tempFiles(listFiles(out))).toEqual([]);
    expect(snapshot(out)).toEqual(before);
  }, 300_000);
});
