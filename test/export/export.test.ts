import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readDataset } from "../../src/data/read.js";
import { exportArranged } from "../../src/export/index.js";
import { stepPlan } from "../../src/export/plan.js";
import { listDir, tempDir } from "../helpers/tmp.js";
import {
  ALPACA,
  MESSAGES,
  PROMPT_COMPLETION,
  plain,
  SHAREGPT,
  TEXT,
  writeJsonl,
  writeMetadata,
} from "./helpers.js";

async function records(path: string): Promise<Record<string, unknown>[]> {
  const ds = await readDataset(path, { keepRecords: true, texts: false });
  return ds.records!;
}

/** The rows with the trailing "</s>" of answers removed, as the JSONL targets write them. */
function withoutMarkers(rows: readonly unknown[]): Record<string, unknown>[] {
  return JSON.parse(JSON.stringify(rows).replaceAll('</s>"', '"')) as Record<string, unknown>[];
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}

describe("export round trips: order and every field survive", () => {
  for (const [layout, rows] of [
    ["alpaca", ALPACA],
    ["messages", MESSAGES],
    ["sharegpt", SHAREGPT],
    ["prompt-completion", PROMPT_COMPLETION],
    ["text", TEXT],
  ] as const) {
    for (const to of ["llama-factory", "axolotl"] as const) {
      it(`${to}, ${layout} rows: the data file reads back identical, in order`, async () => {
        const dir = await tempDir();
        const input = await writeJsonl(dir, "in.jsonl", [...rows]);
        const out = join(dir, "out");
        const r = await exportArranged({ input, to, outDir: out });
        expect(r.rows).toBe(rows.length);
        // The one end-of-text marker (ALPACA's "hi</s>") is removed: these trainers append their own EOS.
        expect(await records(join(out, "arranged.jsonl"))).toEqual(withoutMarkers(rows));
        expect(r.fields.end_markers_removed).toBe(layout === "alpaca" ? 1 : 0);
      });
    }

    it(`trl, ${layout} rows: original fields kept, training columns added, in order`, async () => {
      const dir = await tempDir();
      const input = await writeJsonl(dir, "in.jsonl", [...rows]);
      const out = join(dir, "out");
      await exportArranged({ input, to: "trl", outDir: out });
      const back = await records(join(out, "arranged.jsonl"));
      expect(back).toHaveLength(rows.length);
      back.forEach((b, k) => {
        expect(b).toMatchObject(withoutMarkers(rows)[k]!);
      });
      if (layout === "alpaca") {
        expect(back[1]).toMatchObject({ prompt: "Translate\n\nchat → cat ✓", completion: "cat" });
        expect(back[0]).toMatchObject({ prompt: "Add 2 and 3.", completion: "5" });
      }
      if (layout === "sharegpt") {
        expect(back[1]!.messages).toEqual([
          { role: "system", content: "S" },
          { role: "user", content: "Q2" },
          { role: "assistant", content: "A2" },
        ]);
      }
    });

    it(`hf-dataset, ${layout} rows: Parquet shards read back in order with every field`, async () => {
      const dir = await tempDir();
      const input = await writeJsonl(dir, "in.jsonl", [...rows]);
      const out = join(dir, "out");
      const r = await exportArranged({ input, to: "hf-dataset", outDir: out, rowsPerShard: 2 });
      const shards = r.files.filter((f) => f.endsWith(".parquet"));
      expect(shards).toHaveLength(Math.ceil(rows.length / 2));
      const back = (await Promise.all(shards.map((s) => records(join(out, s))))).flat();
      expect(back.map((b) => dropNulls(plain(b)))).toEqual(rows.map((row) => dropNulls(row)));
    });
  }
});

/** A top-level record without its null fields: Parquet stores absent and null fields alike, as null. */
function dropNulls(row: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row as Record<string, unknown>).filter(([, v]) => v !== null));
}

describe("hf-dataset Parquet opens with DuckDB, in order", () => {
  it("nested messages, numbers and lists read back row by row across shards", async () => {
    const dir = await tempDir();
    const rows = [...MESSAGES, ...MESSAGES].map((r, k) => ({ ...r, k }));
    const input = await writeJsonl(dir, "in.jsonl", rows);
    const out = join(dir, "hf");
    await exportArranged({ input, to: "hf-dataset", outDir: out, rowsPerShard: 4 });
    expect(await listDir(join(out, "data"))).toEqual([
      "train-00000-of-00002.parquet",
      "train-00001-of-00002.parquet",
    ]);
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    const result = await conn.runAndReadAll(
      `SELECT messages, source, k FROM read_parquet('${join(out, "data")}/train-*.parquet', filename = true) ORDER BY filename, file_row_number`.replace(
        "filename = true",
        "filename = true, file_row_number = true",
      ),
    );
    const got = result.getRowObjectsJson();
    expect(got.map((g) => Number(g.k))).toEqual(rows.map((r) => r.k));
    expect(got.map((g) => g.messages)).toEqual(rows.map((r) => r.messages));
    expect(got.map((g) => g.source)).toEqual(rows.map((r) => r.source));
    conn.closeSync();
  });

  it("the card lists the shards in order in its configs and records the manifest", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "in.jsonl", ALPACA);
    await writeFile(join(dir, "in.manifest.json"), '{"tool":"instruct-arrange"}\n');
    const out = join(dir, "hf");
    const r = await exportArranged({ input, to: "hf-dataset", outDir: out, rowsPerShard: 2 });
    const card = await readFile(join(out, "README.md"), "utf8");
    const front = parse(card.split("---\n")[1]!) as {
      configs: { data_files: { split: string; path: string[] }[] }[];
    };
    expect(front.configs[0]!.data_files[0]!.path).toEqual(r.files.filter((f) => f.endsWith(".parquet")));
    expect(await readFile(join(out, "arrangement.manifest.json"), "utf8")).toBe(
      '{"tool":"instruct-arrange"}\n',
    );
    // A shorter re-export removes the stale shards a data/train-* pattern would pick up.
    await exportArranged({ input, to: "hf-dataset", outDir: out, rowsPerShard: 10 });
    expect(await listDir(join(out, "data"))).toEqual(["train-00000-of-00001.parquet"]);
  });
});

describe("snippets", () => {
  it("train_trl.py compiles (python3 -m py_compile) and overrides the sampler", async () => {
    const dir = await tempDir();
    for (const [name, rows] of [
      ["a", ALPACA],
      ["m", MESSAGES],
      ["t", TEXT],
    ] as const) {
      const input = await writeJsonl(dir, `${name}.jsonl`, [...rows]);
      const out = join(dir, `trl-${name}`);
      await exportArranged({ input, to: "trl", outDir: out, batchSize: 8, saveSteps: 5 });
      const script = join(out, "train_trl.py");
      const r = spawnSync("python3", ["-m", "py_compile", script], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const text = await readFile(script, "utf8");
      expect(text).toContain("SequentialSampler");
      expect(text).toContain('"train_sampling_strategy"] = "sequential"');
      expect(text).toContain("BATCH_SIZE = 8");
      expect(text).toContain("SAVE_STEPS = 5");
    }
  });

  it("axolotl.yaml parses with the order-keeping keys", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "in.jsonl", SHAREGPT);
    const out = join(dir, "ax");
    await exportArranged({ input, to: "axolotl", outDir: out, batchSize: 32, saveSteps: 4 });
    const cfg = parse(await readFile(join(out, "axolotl.yaml"), "utf8")) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      shuffle_merged_datasets: false,
      curriculum_sampling: true,
      sample_packing: false,
      val_set_size: 0,
      dataloader_drop_last: false,
      micro_batch_size: 32,
      gradient_accumulation_steps: 1,
      save_steps: 4,
    });
    expect(cfg.datasets).toEqual([
      expect.objectContaining({
        path: `${out}/arranged.jsonl`,
        ds_type: "json",
        type: "chat_template",
        field_messages: "conversations",
        message_property_mappings: { role: "from", content: "value" },
      }),
    ]);
  });

  it("llamafactory.yaml parses with disable_shuffling and dataset_info.json names the columns", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "in.jsonl", MESSAGES);
    const out = join(dir, "lf");
    await exportArranged({ input, to: "llama-factory", outDir: out, name: "tma_nft" });
    const cfg = parse(await readFile(join(out, "llamafactory.yaml"), "utf8")) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      stage: "sft",
      dataset: "tma_nft",
      dataset_dir: out,
      disable_shuffling: true,
      val_size: 0,
      streaming: false,
      packing: false,
      neat_packing: false,
      per_device_train_batch_size: 16,
      save_steps: 10,
    });
    const info = await readJson(join(out, "dataset_info.json"));
    expect(info.tma_nft).toMatchObject({
      file_name: "tma_nft.jsonl",
      formatting: "sharegpt",
      columns: { messages: "messages" },
      tags: { role_tag: "role", content_tag: "content", user_tag: "user", assistant_tag: "assistant" },
    });
    // Text rows train as pre-training.
    const text = await writeJsonl(dir, "text.jsonl", TEXT);
    await exportArranged({ input: text, to: "llama-factory", outDir: join(dir, "lf-text") });
    const pt = parse(await readFile(join(dir, "lf-text", "llamafactory.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(pt.stage).toBe("pt");
    expect(pt.packing).toBe(false);
  });
});

describe("steps per round", () => {
  it("stepPlan: floor(position / batch) per round span, checkpoints every save_steps", () => {
    const rounds = [1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3];
    const plan = stepPlan(rounds.length, 4, 2, rounds, "m");
    expect(plan.steps_per_epoch).toBe(4);
    expect(plan.examples_per_checkpoint).toBe(8);
    expect(plan.checkpoint_steps).toEqual([2, 4]);
    expect(plan.rounds).toEqual([
      {
        round: 1,
        rows: 5,
        first_position: 0,
        last_position: 4,
        first_step: 0,
        last_step: 1,
        done_at_global_step: 2,
        first_checkpoint_after: 2,
      },
      {
        round: 2,
        rows: 3,
        first_position: 5,
        last_position: 7,
        first_step: 1,
        last_step: 1,
        done_at_global_step: 2,
        first_checkpoint_after: 2,
      },
      {
        round: 3,
        rows: 6,
        first_position: 8,
        last_position: 13,
        first_step: 2,
        last_step: 3,
        done_at_global_step: 4,
        first_checkpoint_after: 4,
      },
    ]);
    expect(stepPlan(5, 4, 10, null, null)).toMatchObject({
      steps_per_epoch: 2,
      checkpoint_steps: [],
      rounds: null,
    });
  });

  it("rounds.json from a hand-made metadata file found beside the input", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "arranged.jsonl", ALPACA);
    await writeMetadata(join(dir, "arranged.meta.jsonl"), [1, 1, 2, 2, 2]);
    const out = join(dir, "out");
    await exportArranged({ input, to: "axolotl", outDir: out, batchSize: 2, saveSteps: 1 });
    const plan = await readJson(join(out, "rounds.json"));
    expect(plan).toMatchObject({
      batch_size: 2,
      save_steps: 1,
      steps_per_epoch: 3,
      checkpoint_steps: [1, 2, 3],
    });
    expect(plan.rounds).toEqual([
      {
        round: 1,
        rows: 2,
        first_position: 0,
        last_position: 1,
        first_step: 0,
        last_step: 0,
        done_at_global_step: 1,
        first_checkpoint_after: 1,
      },
      {
        round: 2,
        rows: 3,
        first_position: 2,
        last_position: 4,
        first_step: 1,
        last_step: 2,
        done_at_global_step: 3,
        first_checkpoint_after: 3,
      },
    ]);
    expect(await readFile(join(out, "README.md"), "utf8")).toMatch(/\| 2 \| 3 \| 2–4 \| 1–2 \| 3 \| 3 \|/);
    // --no-metadata: no rounds.
    await exportArranged({ input, to: "axolotl", outDir: out, metadata: false });
    expect((await readJson(join(out, "rounds.json"))).rounds).toBeNull();
  });
});

describe("deterministic output", () => {
  it("identical inputs give byte-identical exports (Parquet included)", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "in.jsonl", MESSAGES);
    for (const to of ["llama-factory", "axolotl", "trl", "hf-dataset"] as const) {
      const a = await exportArranged({ input, to, outDir: join(dir, "x") });
      const bytesA = await Promise.all(a.files.map((f) => readFile(join(dir, "x", f))));
      await exportArranged({ input, to, outDir: join(dir, "x") });
      const bytesB = await Promise.all(a.files.map((f) => readFile(join(dir, "x", f))));
      expect(bytesB).toEqual(bytesA);
    }
  });
});

describe("bad input", () => {
  it("LLaMA-Factory: a conversation it would drop is an error naming the row, and nothing is written", async () => {
    const dir = await tempDir();
    const rows = [
      MESSAGES[0]!,
      {
        messages: [
          { role: "assistant", content: "x" },
          { role: "user", content: "y" },
        ],
      },
    ];
    const input = await writeJsonl(dir, "in.jsonl", rows);
    const out = join(dir, "out");
    await expect(exportArranged({ input, to: "llama-factory", outDir: out })).rejects.toMatchObject({
      code: "input",
      file: input,
      line: 2,
      message: expect.stringMatching(/row 1 .*messages\[0\] has role "assistant"/),
      fix: expect.stringMatching(/--to trl/),
    });
    expect(existsSync(out)).toBe(false);
    const odd = await writeJsonl(dir, "odd.jsonl", [{ messages: [{ role: "user", content: "only" }] }]);
    await expect(exportArranged({ input: odd, to: "llama-factory", outDir: out })).rejects.toThrow(/1 turns/);
  });

  it("TRL: a ShareGPT speaker with no chat role, and an alpaca row with a prompt field", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "in.jsonl", [{ conversations: [{ from: "narrator", value: "x" }] }]);
    await expect(exportArranged({ input, to: "trl", outDir: join(dir, "o") })).rejects.toThrow(/"narrator"/);
    const alpaca = await writeJsonl(dir, "a.jsonl", [{ instruction: "i", output: "o", prompt: "p" }]);
    await expect(exportArranged({ input: alpaca, to: "trl", outDir: join(dir, "o") })).rejects.toMatchObject({
      line: 1,
      message: expect.stringMatching(/already has a "prompt" field/),
    });
  });

  it("metadata that does not match the rows, unknown targets and bad numbers", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "in.jsonl", ALPACA);
    const meta = join(dir, "other.meta.jsonl");
    await writeMetadata(meta, [1, 1]);
    await expect(
      exportArranged({ input, to: "trl", outDir: join(dir, "o"), metadata: meta }),
    ).rejects.toMatchObject({
      file: meta,
      message: expect.stringMatching(/describes 2 rows but the arranged set has 5/),
    });
    await writeFile(meta, '{"position": 1}\n'.repeat(5));
    await expect(
      exportArranged({ input, to: "trl", outDir: join(dir, "o"), metadata: meta }),
    ).rejects.toMatchObject({
      line: 1,
    });
    await expect(
      exportArranged({ input, to: "nope" as "trl", outDir: join(dir, "o") }),
    ).rejects.toMatchObject({ code: "usage", option: "--to" });
    await expect(
      exportArranged({ input, to: "trl", outDir: join(dir, "o"), batchSize: 0 }),
    ).rejects.toMatchObject({
      code: "usage",
      option: "--batch-size",
    });
  });
});
