import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readExamples, sampleExamples, splitRecord } from "../../src/train/examples.js";
import { EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

describe("prepared examples", () => {
  it("splits each layout into instruction and answer", () => {
    expect(splitRecord({ instruction: "Translate", input: "chat", output: "cat</s>" }, "alpaca")).toEqual({
      instruction: "Translate\nchat",
      answer: "cat",
    });
    expect(splitRecord({ instruction: "Q?", input: "", output: " A " }, "alpaca")).toEqual({
      instruction: "Q?",
      answer: "A",
    });
    expect(splitRecord({ prompt: "P", completion: " C<|endoftext|>" }, "prompt-completion")).toEqual({
      instruction: "P",
      answer: "C",
    });
    const messages = [
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "bye" },
      { role: "assistant", content: "ciao" },
    ];
    expect(splitRecord({ messages }, "messages")).toEqual({ instruction: "hi\nhello\nbye", answer: "ciao" });
    expect(() => splitRecord({ text: "t" }, "text")).toThrow(/no separate instruction and answer/);
  });

  it("reads a directory in file then line order, tasks from file names", async () => {
    const { examples } = await readExamples(EXAMPLE_TRAIN, { option: "--data" });
    expect(examples.length).toBe(1200);
    expect(examples[0]).toEqual({
      instruction: "What is 13 minus 39?",
      answer: "-26",
      task: "arithmetic_t1",
    });
  });

  it("names the file and line of a row with no answer field", async () => {
    const dir = await tempDir();
    const path = join(dir, "t.jsonl");
    await writeFile(
      path,
      '{"instruction":"a","output":"b"}\n{"instruction":"c","output":7}\n{"instruction":"d"}\n',
    );
    await expect(readExamples(path, { option: "--data" })).rejects.toThrow(/row has no "output" field/);
    await expect(readExamples(path, { option: "--data" })).rejects.toMatchObject({ file: path, line: 3 });
  });

  it("samples test examples by seed and keeps them in input order", () => {
    const items = Array.from({ length: 50 }, (_, i) => i * 10);
    const a = sampleExamples(items, 10, 1);
    expect(a.indices.length).toBe(10);
    expect([...a.indices].sort((x, y) => x - y)).toEqual(a.indices);
    expect(a.items).toEqual(a.indices.map((i) => i * 10));
    expect(sampleExamples(items, 10, 1)).toEqual(a);
    expect(sampleExamples(items, 10, 2).indices).not.toEqual(a.indices);
    expect(sampleExamples(items, undefined, 1).items).toEqual(items);
  });
});
