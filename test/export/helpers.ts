import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export const ALPACA = [
  { instruction: "Add 2 and 3.", input: "", output: "5", id: 7, tags: ["math"], task: "sum" },
  { instruction: "Translate", input: "chat → cat ✓", output: "cat", id: 8, tags: [], task: "tr" },
  { instruction: "Say hi", input: "", output: "hi</s>", id: 9, tags: ["greet", "x"], task: "greet" },
  { instruction: "Pi?", input: "", output: "3.14", id: 10, tags: ["math"], task: "sum", score: 0.5 },
  {
    instruction: "Capital of France?",
    input: "",
    output: "Paris",
    id: 11,
    tags: ["geo"],
    task: "geo",
    score: 1,
  },
];

export const MESSAGES = [
  {
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "4" },
    ],
    source: "a",
  },
  {
    messages: [
      { role: "user", content: "Name a color" },
      { role: "assistant", content: "Red" },
      { role: "user", content: "Another" },
      { role: "assistant", content: "Blue" },
    ],
    source: "b",
  },
  {
    messages: [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
    ],
    source: "c",
  },
];

export const SHAREGPT = [
  {
    conversations: [
      { from: "human", value: "Q1" },
      { from: "gpt", value: "A1" },
    ],
    id: "s1",
  },
  {
    conversations: [
      { from: "system", value: "S" },
      { from: "human", value: "Q2" },
      { from: "gpt", value: "A2" },
    ],
    id: "s2",
  },
];

export const PROMPT_COMPLETION = [
  { prompt: "The sky is", completion: " blue.", n: 1 },
  { prompt: "Grass is", completion: " green.", n: 2 },
];

export const TEXT = [{ text: "First document." }, { text: "Second document." }];

export async function writeJsonl(dir: string, name: string, rows: unknown[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return path;
}

/** Metadata lines as arrange writes them, with the given rounds. */
export async function writeMetadata(path: string, rounds: (number | undefined)[]): Promise<void> {
  const lines = rounds.map((round, position) =>
    JSON.stringify({
      position,
      index: position,
      task: "t",
      file: "x",
      line: position + 1,
      round,
      nearest_test: 0,
      nearest_distance: -1,
    }),
  );
  await writeFile(path, `${lines.join("\n")}\n`);
}

/** Parquet values as plain JSON values: bigints as numbers, absent as null. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)));
}
