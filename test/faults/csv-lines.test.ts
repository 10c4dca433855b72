import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";
import { expectCleanFailure, requireBuiltCli, runCli, writeRows } from "./helpers.js";

requireBuiltCli();

// Fault cases C05, C09: CSV locations are text lines (records may span lines), and an unclosed quote is
// reported where it opens, not at the end of the file.
describe("CSV error locations", () => {
  // Records 1-5 take lines 2-8 (two of them span lines); the 6th record (3 fields) is on line 9.
  const fieldcount =
    'instruction,output\na,b\n"two\nline",c\nd,e\n"three\nrecord",f\ng,h\n"x,y",z,extra\ni,j\n';

  it("a record with the wrong field count names its real line (fieldcount.csv:9, not :6)", async () => {
    const dir = await tempDir("fault-csv-");
    const path = join(dir, "fieldcount.csv");
    await writeFile(path, fieldcount);
    await writeRows(join(dir, "test.jsonl"), 3);
    const r = runCli(arrangeArgs(join(dir, "o.csv"), { train: path, test: join(dir, "test.jsonl") }), {
      timeoutMs: 30_000,
    });
    expectCleanFailure(r, `${path}:9: record has 3 fields`);
  });

  it("--skip-invalid records the real line of the skipped record and of every kept row", async () => {
    const dir = await tempDir("fault-csv-");
    const path = join(dir, "fieldcount.csv");
    await writeFile(path, fieldcount);
    const ds = await readDataset(path, { skipInvalid: true });
    expect(ds.skipped).toEqual([{ file: path, line: 9, reason: "record has 3 fields but the header has 2" }]);
    expect(Array.from(ds.refs.line)).toEqual([2, 3, 5, 6, 8, 10]);
  });

  it("an unbalanced quote names the line where the quote opens (11), not the end of the file (41)", async () => {
    const dir = await tempDir("fault-csv-");
    const lines = ["instruction,output"];
    for (let i = 2; i <= 10; i++) lines.push(`q${i},a${i}`);
    lines.push('"opens here,a11');
    for (let i = 12; i <= 40; i++) lines.push(`q${i},a${i}`);
    const path = join(dir, "quote.csv");
    await writeFile(path, `${lines.join("\n")}\n`);
    await writeRows(join(dir, "test.jsonl"), 3);
    const r = runCli(arrangeArgs(join(dir, "o.csv"), { train: path, test: join(dir, "test.jsonl") }), {
      timeoutMs: 30_000,
    });
    expectCleanFailure(r, `${path}:11: CSV syntax error: a quote opened on line 11 is never closed`);
    expect(r.stderr).toContain("close the quote on line 11");
    expect(r.stderr).not.toMatch(/line 41/);
  });

  it("a quote that opens after a closed multi-line field is found on its own line", async () => {
    const dir = await tempDir("fault-csv-");
    const path = join(dir, "late.csv");
    await writeFile(path, 'instruction,output\na,b\n"x\ny","ok ""q"""\nc,"never\nd,e\n');
    const e = await readDataset(path).catch((x: unknown) => x as { line?: number; message: string });
    expect(e).toMatchObject({ line: 5 });
  });
});
