import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { tempDir } from "../helpers/tmp.js";

const train = Array.from({ length: 30 }, (_, i) => ({
  instruction: `${i % 3 === 0 ? "translate" : "sum"} item ${i}`,
  output: `answer ${i}`,
  task: i % 3 === 0 ? "tr" : "sum",
}));
const test = Array.from({ length: 6 }, (_, i) => ({ prompt: `sum item ${i * 5}`, completion: `ok ${i}` }));
const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

describe("arrange({ train: records, test: records }) for library users", () => {
  it("gives the same order and metadata as the same records in files, and writes JSON Lines", async () => {
    const dir = await tempDir();
    const trainFile = join(dir, "train.jsonl");
    const testFile = join(dir, "test.jsonl");
    await writeFile(trainFile, jsonl(train));
    await writeFile(testFile, jsonl(test));
    const fromFiles = await arrange({
      train: trainFile,
      test: testFile,
      embedder: "ngram",
      out: join(dir, "f.jsonl"),
    });
    const out = join(dir, "m.jsonl");
    const inMemory = await arrange({ train, test, embedder: "ngram", out });
    expect(inMemory.order).toEqual(fromFiles.order);
    expect(inMemory.metadata.map((m) => [m.task, m.round])).toEqual(
      fromFiles.metadata.map((m) => [m.task, m.round]),
    );
    expect(await readFile(out, "utf8")).toBe(await readFile(join(dir, "f.jsonl"), "utf8"));
  });

  it("a record that is not an object is an error naming the record; nothing is written", async () => {
    const dir = await tempDir();
    const out = join(dir, "x.jsonl");
    const bad = [...train.slice(0, 3), "oops" as unknown as Record<string, unknown>];
    const e = await arrange({ train: bad, test, embedder: "ngram", out }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ArrangeError);
    expect((e as ArrangeError).file).toBe("<train records>");
    expect((e as ArrangeError).line).toBe(4);
    expect((e as ArrangeError).fix).toMatch(/plain objects/);
    expect(existsSync(out)).toBe(false);
  });
});
