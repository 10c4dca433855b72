import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs, BIN, runCli } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, tempDir } from "../helpers/tmp.js";
import { listFiles, tempFiles } from "./helpers-writes.js";

// A reader that goes away (`2>&1 | head -1`) closes the pipe under stdout and stderr: the work goes on,
// the outputs are written, logging stops silently, and the exit status is the work's own.

requireBuiltCli();

/** Run `node BIN args` with stdout and stderr into `| head -1`; returns the CLI's own exit status and what head saw. */
function throughHead(args: string[], redirect = "2>&1"): { code: number; head: string } {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `'${process.execPath}' '${BIN}' ${quoted} ${redirect} | head -1; exit \${PIPESTATUS[0]}`;
  const r = spawnSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.error !== undefined) throw r.error;
  return { code: r.status ?? -1, head: r.stdout };
}

const arrangeInto = (out: string) =>
  arrangeArgs(join(out, "arr.jsonl"), { metadata: join(out, "meta.jsonl") });

describe("EPIPE on stdout and stderr", () => {
  it("arrange 2>&1 | head -1: exit 0, every output written, no temporary file", async () => {
    const out = await tempDir("ia-epipe-");
    const r = throughHead(arrangeInto(out));
    expect(r.code).toBe(0);
    expect(r.head).toMatch(/^train: /);
    expect(listFiles(out)).toEqual(["arr.jsonl", "arr.manifest.json", "meta.jsonl"]);
    expect(tempFiles(listFiles(out))).toEqual([]);
    // The same bytes as a run whose log is read to the end.
    const ref = await tempDir("ia-epipe-ref-");
    const full = runCli(arrangeInto(ref));
    expect(full.code, full.stderr).toBe(0);
    expect(readFileSync(join(out, "arr.jsonl"))).toEqual(readFileSync(join(ref, "arr.jsonl")));
    expect(readFileSync(join(out, "meta.jsonl"))).toEqual(readFileSync(join(ref, "meta.jsonl")));
  });

  it("with --log-json (many lines) the run still finishes", async () => {
    const out = await tempDir("ia-epipe-json-");
    const r = throughHead([...arrangeInto(out), "--log-json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.head).event).toBe("progress");
    expect(listFiles(out)).toEqual(["arr.jsonl", "arr.manifest.json", "meta.jsonl"]);
  });

  it("embed and analyze 2>&1 | head -1 write their outputs", async () => {
    const out = await tempDir("ia-epipe-embed-");
    const e = throughHead([
      "embed",
      "--input",
      EXAMPLE_TEST,
      "--out",
      join(out, "e.npy"),
      "--embedder",
      "ngram",
    ]);
    expect(e.code).toBe(0);
    expect(listFiles(out)).toEqual(["e.npy", "e.npy.json"]);
    const arr = throughHead(arrangeInto(out));
    expect(arr.code).toBe(0);
    const a = throughHead([
      "analyze",
      "--train",
      join(out, "arr.jsonl"),
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(out, "an.json"),
      "--embedder",
      "ngram",
    ]);
    expect(a.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "an.json"), "utf8"))).toHaveProperty("checkpoints");
  });

  it("a failing run with a closed stderr still exits 1 (not a crash on the error message)", async () => {
    const out = await tempDir("ia-epipe-fail-");
    const r = throughHead(
      arrangeArgs(join(out, "x.jsonl"), { train: join(out, "missing.jsonl") }),
      "2>&1 >/dev/null",
    );
    expect(r.code).toBe(1);
    expect(listFiles(out)).toEqual([]);
  });

  it("help into a closed stdout exits 0", () => {
    const r = throughHead(["arrange", "--help"], "");
    expect(r.code).toBe(0);
    expect(r.head).toMatch(/^Usage: instruct-arrange arrange/);
  });
});
