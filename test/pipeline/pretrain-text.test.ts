import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gramText, stripTemplate, templateGrams, words } from "../../src/data/template-wording.js";
import { pretrainText } from "../../src/pipeline/pretrain-text.js";
import { tempDir } from "../helpers/tmp.js";

// 24 passages of 15 words, every word numbered by its passage: no word n-gram is shared by two of them.
const WORDS =
  "river hill village coast forest bridge tower field harbor valley road market lake mill gate".split(" ");
const PASSAGES = Array.from({ length: 24 }, (_, i) => WORDS.map((w) => `${w}${i}`).join(" "));

async function writeTask(dir: string, name: string, rows: { prompt: string; completion: string }[]) {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.jsonl`), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

describe("template wording", () => {
  it("finds the n-grams most prompts share and cuts exactly their words", () => {
    const prompts = PASSAGES.slice(0, 10).map((p) => `${p}\nWhat is this passage about?\nAnswer:`);
    const grams = templateGrams(prompts, 3, 0.5);
    const s = stripTemplate(prompts[3]!, grams, 3);
    expect(s.text).toBe(PASSAGES[3]);
    expect(s.removed).toBe(6); // What is this passage about? Answer:
    expect(s.words).toBe(words(prompts[3]!).filter((w) => w !== "\n").length);
    // A passage's own n-gram is in one prompt of ten: content, kept.
    expect(grams.has(["river3", "hill3", "village3"].join("\u0001"))).toBe(false);
    // 3-grams: \n what is, what is this, is this passage, this passage about?, passage about? \n,
    // about? \n answer:, \n answer: (end); 2-grams at a break or the end: \n what, about? \n, \n answer:, answer: (end).
    expect(grams.size).toBe(11);
    const varied = templateGrams(
      ["one two three four", "five six seven eight", "one two three nine"],
      3,
      0.5,
    );
    expect([...varied].map(gramText).sort()).toEqual(["(start) one", "(start) one two", "one two three"]);
  });
});

describe("pretrain-text", () => {
  it("writes the prompts' content without templates or answers, drops duplicates and held-out overlap", async () => {
    const dir = await tempDir();
    const train = join(dir, "train");
    const test = join(dir, "test");
    // Two templates over the same passages: the texts left are equal, so the second copy is a duplicate.
    await writeTask(
      train,
      "summary_a",
      PASSAGES.map((p, i) => ({
        prompt: `Summarize the text below.\n${p}\nSummary:`,
        completion: `answer ${i}`,
      })),
    );
    await writeTask(
      train,
      "summary_b",
      PASSAGES.map((p, i) => ({ prompt: `${p}\nIn short, what does it say?`, completion: `answer ${i}` })),
    );
    await writeTask(train, "tiny", [{ prompt: "A lone row of a task too small to tell", completion: "x" }]);
    // The held-out set quotes passage 5 word for word: that text must go.
    await writeTask(
      test,
      "held_out",
      PASSAGES.slice(4, 6).map((p) => ({
        prompt: `Read this: ${p}. Is it about rivers?`,
        completion: "yes",
      })),
    );
    const out = join(dir, "out", "text.jsonl");
    const r = await pretrainText({ data: train, test, out, seed: 1 });
    // One directory split by --holdout: the same text.
    const all = join(dir, "all");
    await mkdir(all);
    for (const [d, f] of [
      [train, "summary_a"],
      [train, "summary_b"],
      [train, "tiny"],
      [test, "held_out"],
    ] as const)
      await writeFile(join(all, `${f}.jsonl`), await readFile(join(d, `${f}.jsonl`)));
    const split = join(dir, "split.jsonl");
    const s = await pretrainText({ data: all, holdout: ["held_out"], out: split, seed: 1 });
    expect(await readFile(split, "utf8")).toBe(await readFile(out, "utf8"));
    expect(s.counts).toEqual(r.counts);
    await expect(pretrainText({ data: all, holdout: ["held_out"], test, out: split })).rejects.toThrow(
      /either --test or --data with --holdout/,
    );
    const texts = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).text as string);
    expect(r.counts).toMatchObject({
      rows: 49,
      tasks: 3,
      tasksTooSmall: 1,
      rowsOfSmallTasks: 1,
      duplicates: 24,
      overlapDropped: 2,
      texts: 22,
    });
    expect(new Set(texts)).toEqual(new Set(PASSAGES.filter((_, i) => i !== 4 && i !== 5)));
    for (const t of texts) expect(t).not.toMatch(/Summar|In short|answer \d/);
    const manifest = JSON.parse(await readFile(r.manifest, "utf8"));
    expect(manifest.kind).toBe("pretrain-text");
    expect(manifest.counts).toEqual(r.counts);
    expect(manifest.heldOut.byTask[0].task).toBe("held_out");

    // Same inputs and seed: byte-identical; another seed: the same texts in another order.
    const again = join(dir, "again.jsonl");
    await pretrainText({ data: train, test, out: again, seed: 1 });
    expect(await readFile(again, "utf8")).toBe(await readFile(out, "utf8"));
    const other = join(dir, "other.jsonl");
    await pretrainText({ data: train, test, out: other, seed: 2 });
    const otherText = await readFile(other, "utf8");
    expect(otherText).not.toBe(await readFile(out, "utf8"));
    expect(otherText.trim().split("\n").sort()).toEqual(
      (await readFile(out, "utf8")).trim().split("\n").sort(),
    );
  });

  it("refuses an output inside the data it reads", async () => {
    const dir = await tempDir();
    await writeTask(join(dir, "train"), "t", [{ prompt: "p", completion: "c" }]);
    await expect(
      pretrainText({ data: join(dir, "train"), out: join(dir, "train", "text.jsonl") }),
    ).rejects.toThrow(/--out/);
  });
});
