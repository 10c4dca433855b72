import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arrangeArgs } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, tempDir } from "../helpers/tmp.js";
import { runCli } from "./helpers-writes.js";

// Under --log-json every line on stderr is JSON, the final error included: {"event":"error", code, message,
// file, line, option, fix}.

function lines(stderr: string): unknown[] {
  return stderr
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

describe("--log-json errors", () => {
  it("an input error is one JSON line with file, line and fix (exit 1)", async () => {
    const dir = await tempDir("ia-logjson-");
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"instruction":"a","output":"b"}\n{not json\n');
    const r = await runCli(arrangeArgs(join(dir, "o.jsonl"), { train: bad, extra: ["--log-json"] }));
    expect(r.code).toBe(1);
    const all = lines(r.stderr);
    const last = all.at(-1) as Record<string, unknown>;
    expect(last.event).toBe("error");
    expect(last.code).toBe("input");
    expect(last.file).toBe(bad);
    expect(last.line).toBe(2);
    expect(typeof last.fix).toBe("string");
    expect(typeof last.message).toBe("string");
  });

  it("a usage error found by the parser is a JSON line too (exit 2)", async () => {
    const r = await runCli(["arrange", "--log-json", "--train", "a.jsonl", "--test", "b.jsonl"]);
    expect(r.code).toBe(2);
    const all = lines(r.stderr) as Record<string, unknown>[];
    expect(all).toHaveLength(1);
    expect(all[0]!.event).toBe("error");
    expect(all[0]!.code).toBe("usage");
    expect(String(all[0]!.message)).toMatch(/required option '--out <file>' not specified/);
  });

  it("a usage error from option validation is a JSON line naming the option", async () => {
    const dir = await tempDir("ia-logjson-usage-");
    const r = await runCli(
      arrangeArgs(join(dir, "o.jsonl"), { train: EXAMPLE_TEST, extra: ["--budget", "-3", "--log-json"] }),
    );
    expect(r.code).toBe(2);
    const last = lines(r.stderr).at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({ event: "error", code: "usage" });
    expect(String(last.option ?? last.message)).toMatch(/--budget/);
  });

  it("without --log-json the error stays plain text", async () => {
    const r = await runCli(["arrange", "--train", "a.jsonl", "--test", "b.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: required option '--out <file>' not specified/);
  });
});
