import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";
import { expectCleanFailure, expectOnly, requireBuiltCli, runCli, writeRows } from "./helpers.js";

requireBuiltCli();

const turn = (i: number) => ({
  conversations: [
    { from: "human", value: `question ${i}` },
    { from: "gpt", value: `answer ${i}` },
  ],
});

// Fault cases P13, L01: a conversation with no turns was embedded as a zero vector, with no word.
describe("conversations with no turns", () => {
  it("arrange refuses one, naming file:line and the fix, and writes nothing", async () => {
    const dir = await tempDir("fault-conv-");
    const path = join(dir, "chat.jsonl");
    const rows = [turn(1), turn(2), { conversations: [] }, turn(4)];
    await writeFile(path, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    await writeRows(join(dir, "test.jsonl"), 3);
    const r = runCli(arrangeArgs(join(dir, "out.jsonl"), { train: path, test: join(dir, "test.jsonl") }), {
      timeoutMs: 30_000,
    });
    expectCleanFailure(r, `${path}:3: "conversations" is an empty array: the conversation has no turns`);
    expect(r.stderr).toContain("--skip-invalid");
    await expectOnly(dir, ["chat.jsonl", "test.jsonl"]);
  });

  it("with --skip-invalid the row is skipped and counted", async () => {
    const dir = await tempDir("fault-conv-");
    const path = join(dir, "chat.jsonl");
    const rows = [turn(1), { conversations: [] }, turn(3), turn(4)];
    await writeFile(path, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    await writeRows(join(dir, "test.jsonl"), 3);
    const out = join(dir, "out.jsonl");
    const r = runCli(
      arrangeArgs(out, { train: path, test: join(dir, "test.jsonl"), extra: ["--skip-invalid"] }),
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("1 invalid rows skipped");
    const manifest = JSON.parse(await readFile(join(dir, "out.manifest.json"), "utf8"));
    expect(manifest.counts.train).toMatchObject({ read: 3, skipped: 1 });
    expect(manifest.skipped[0]).toMatchObject({ file: path, line: 2 });
    expect((await readFile(out, "utf8")).trim().split("\n")).toHaveLength(3);
  });

  it("messages with no turns, or turns without any text, are invalid rows too", async () => {
    const dir = await tempDir("fault-conv-");
    const path = join(dir, "m.jsonl");
    const ok = { messages: [{ role: "user", content: "hi" }] };
    const lines = [
      ok,
      { messages: [] },
      {
        messages: [
          { role: "user", content: "" },
          { role: "assistant", content: null },
        ],
      },
    ];
    await writeFile(path, `${lines.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.count).toBe(1);
    expect(ds.skipped.map((s) => s.line)).toEqual([2, 3]);
    expect(ds.skipped[1]!.reason).toMatch(/none of the 2 turns/);
  });
});
