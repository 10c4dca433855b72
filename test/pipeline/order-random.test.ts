import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arrange } from "../../src/pipeline/arrange.js";
import { tempDir } from "../helpers/tmp.js";

/*
 * `--order random` through the whole arrange use case (read, arrange, write): the written rows are the exact
 * seeded permutation of a task schedule, and not the unshuffled schedule. A bug that stops the shuffle
 * anywhere between the options and the file fails here.
 */
const TASKS = ["a", "a", "b", "c", "a", "b", "a", "c", "b", "a"];

async function arranged(strategy: "round-robin" | "cluster", order: "input" | "random"): Promise<string[]> {
  const dir = await tempDir();
  const rows = TASKS.map((task, i) => JSON.stringify({ instruction: `row ${i}`, output: `${i}`, task }));
  await writeFile(join(dir, "train.jsonl"), `${rows.join("\n")}\n`);
  await writeFile(join(dir, "test.jsonl"), `${JSON.stringify({ instruction: "q", output: "r" })}\n`);
  const out = join(dir, "out.jsonl");
  await arrange({
    train: join(dir, "train.jsonl"),
    test: join(dir, "test.jsonl"),
    out,
    strategy,
    order,
    taskField: "task",
    seed: 7,
    manifest: false,
  });
  return (await readFile(out, "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { instruction: string }).instruction.replace("row ", ""));
}

describe("arrange --order random on a task schedule", () => {
  it("round-robin: the exact seeded permutation, not the input schedule", async () => {
    const input = await arranged("round-robin", "input");
    const random = await arranged("round-robin", "random");
    expect(input).toEqual(["0", "2", "3", "1", "5", "7", "4", "8", "6", "9"]);
    expect(random).toEqual(["0", "3", "5", "6", "7", "8", "9", "2", "4", "1"]);
    expect(random).not.toEqual(input);
  });
  it("cluster: the exact seeded permutation, tasks in another order than first appearance", async () => {
    const input = await arranged("cluster", "input");
    const random = await arranged("cluster", "random");
    expect(input).toEqual(["0", "1", "4", "6", "9", "2", "5", "8", "3", "7"]);
    expect(random).toEqual(["0", "6", "9", "4", "1", "3", "7", "5", "8", "2"]);
    const runs = (o: string[]) =>
      o.map((i) => TASKS[Number(i)]).filter((t, k, a) => k === 0 || t !== a[k - 1]);
    expect(runs(input)).toEqual(["a", "b", "c"]);
    expect(runs(random)).not.toEqual(["a", "b", "c"]);
  });
});
