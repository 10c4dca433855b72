import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readDataset } from "../../src/data/read.js";
import { exportArranged } from "../../src/export/index.js";
import { SHARED_P3, tempDir } from "../helpers/tmp.js";
import { describeTorch, TORCH_PYTHON } from "../helpers/torch.js";
import { ALPACA, MESSAGES, writeJsonl, writeMetadata } from "./helpers.js";

async function records(path: string): Promise<Record<string, unknown>[]> {
  return (await readDataset(path, { keepRecords: true, texts: false })).records!;
}

describe("export: axolotl's prepared-data cache and dropped rows", () => {
  it("dataset_prepared_path is inside the export and named after the data, so another arrangement gets a fresh cache", async () => {
    const dir = await tempDir();
    const out = join(dir, "out");
    const a = await writeJsonl(dir, "a.jsonl", ALPACA);
    const b = await writeJsonl(dir, "b.jsonl", [...ALPACA].reverse());
    const prepared = async (input: string) => {
      await exportArranged({ input, to: "axolotl", outDir: out });
      const cfg = parse(await readFile(join(out, "axolotl.yaml"), "utf8")) as Record<string, unknown>;
      expect(cfg.excess_length_strategy).toBe("truncate");
      return cfg.dataset_prepared_path as string;
    };
    const first = await prepared(a);
    expect(first.startsWith(`${out}/prepared-`)).toBe(true);
    const again = await prepared(a);
    const other = await prepared(b);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    const plan = JSON.parse(await readFile(join(out, "rounds.json"), "utf8")) as {
      trainer_rows: { dropped: number; settings: string[] };
    };
    expect(plan.trainer_rows.dropped).toBe(0);
    expect(plan.trainer_rows.settings).toContain("excess_length_strategy: truncate");
    const yaml = await readFile(join(out, "axolotl.yaml"), "utf8");
    expect(yaml).not.toContain("axolotl drops it by default");
  });

  it("a text row axolotl would drop (empty) and an alpaca output LLaMA-Factory would drop stop the export, nothing written", async () => {
    const dir = await tempDir();
    const text = await writeJsonl(dir, "t.jsonl", [{ text: "one" }, { text: "  " }, { text: "three" }]);
    await expect(exportArranged({ input: text, to: "axolotl", outDir: join(dir, "x") })).rejects.toThrow(
      /row 1 .*min_sample_len/,
    );
    expect(existsSync(join(dir, "x"))).toBe(false);
    const alpaca = await writeJsonl(dir, "al.jsonl", [
      { instruction: "a", output: "b" },
      { instruction: "c", output: 5 },
    ]);
    const e = await exportArranged({ input: alpaca, to: "llama-factory", outDir: join(dir, "y") }).catch(
      (x: unknown) => x as Error & { fix?: string },
    );
    expect((e as Error).message).toMatch(/row 1 .*"output" is number, not a string/);
    expect(existsSync(join(dir, "y"))).toBe(false);
  });
});

describe("export: task field and end-of-text markers", () => {
  it("P3 completions lose their <|endoftext|> (counted), and a directory's file names become the task field", async () => {
    const dir = await tempDir();
    const input = join(dir, "p3");
    await mkdir(input);
    const names = ["ag_news_classify.jsonl", "adversarial_qa_dbert_based_on.jsonl"];
    for (const n of names) await copyFile(join(SHARED_P3, n), join(input, n));
    const original = await records(input);
    const out = join(dir, "out");
    const r = await exportArranged({ input, to: "trl", outDir: out });
    const back = await records(join(out, "arranged.jsonl"));
    const marked = original.filter((x) => String(x.completion).endsWith("<|endoftext|>")).length;
    expect(marked).toBe(original.length);
    expect(r.fields.end_markers_removed).toBe(marked);
    expect(back.every((x) => !String(x.completion).includes("<|endoftext|>"))).toBe(true);
    expect(back[0]!.completion).toBe(String(original[0]!.completion).replace(/\s*<\|endoftext\|>$/, ""));
    expect(new Set(back.map((x) => x.task))).toEqual(new Set(names.map((n) => n.replace(".jsonl", ""))));
    const plan = JSON.parse(await readFile(join(out, "rounds.json"), "utf8")) as Record<string, unknown>;
    expect(plan).toMatchObject({ task_field: "task", task_source: "file-name", end_markers_removed: marked });
    // hf-dataset keeps the text as it is unless asked.
    const hf = await exportArranged({ input, to: "hf-dataset", outDir: join(dir, "hf") });
    expect(hf.fields).toMatchObject({ end_markers: "keep", end_markers_removed: 0 });
  });

  it("the metadata's tasks with --task-field NAME, none with --no-task-field, none for a lone file", async () => {
    const dir = await tempDir();
    const input = await writeJsonl(dir, "arranged.jsonl", MESSAGES);
    const meta = join(dir, "arranged.meta.jsonl");
    await writeMetadata(meta, [0, 0, 1]);
    const lines = (await readFile(meta, "utf8")).trim().split("\n");
    await writeFile(
      meta,
      `${lines.map((l, k) => JSON.stringify({ ...JSON.parse(l), task: `t${k}` })).join("\n")}\n`,
    );
    const out = join(dir, "o1");
    await exportArranged({ input, to: "axolotl", outDir: out, taskField: "source_task" });
    expect((await records(join(out, "arranged.jsonl"))).map((x) => x.source_task)).toEqual([
      "t0",
      "t1",
      "t2",
    ]);
    await exportArranged({ input, to: "axolotl", outDir: join(dir, "o2"), taskField: false });
    expect((await records(join(dir, "o2", "arranged.jsonl"))).map((x) => x.task)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const lone = await writeJsonl(dir, "lone.jsonl", MESSAGES);
    const r = await exportArranged({ input: lone, to: "axolotl", outDir: join(dir, "o3") });
    expect(r.fields.task_field).toBeNull();
  });
});

/** Stand-ins for datasets, trl and transformers that record what train_trl.py asks of them (torch is real). */
const STUBS: Record<string, string> = {
  "datasets/__init__.py": `
class _DS:
    def __init__(self, rows): self.rows = rows
    def select_columns(self, cols): return _DS([{c: r[c] for c in cols} for r in self.rows])
    def __len__(self): return len(self.rows)
def load_dataset(kind, data_files, split):
    import json
    with open(data_files) as f: return _DS([json.loads(l) for l in f if l.strip()])
`,
  "trl/__init__.py": `
import dataclasses
@dataclasses.dataclass
class SFTConfig:
    output_dir: str = ""
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    num_train_epochs: float = 3
    save_strategy: str = "steps"
    save_steps: int = 500
    packing: bool = False
    dataloader_drop_last: bool = False
    max_length: object = 1024
    bf16: object = None
    fp16: bool = False
    train_sampling_strategy: str = "random"
    def __post_init__(self):
        self.bf16 = not self.fp16 if self.bf16 is None else self.bf16
class SFTTrainer:
    seen = []
    def __init__(self, model, args, train_dataset, processing_class=None):
        self.args, self.train_dataset, self.processing_class = args, train_dataset, processing_class
        SFTTrainer.seen.append(self)
    def train(self):
        import json, os, torch
        sampler = self._get_train_sampler(self.train_dataset)
        with open(os.environ["TRL_STUB_OUT"], "w") as f:
            json.dump({"bf16": self.args.bf16, "fp16": self.args.fp16, "max_length": self.args.max_length,
                       "cuda": torch.cuda.is_available(),
                       "sampling": self.args.train_sampling_strategy, "order": list(iter(sampler)),
                       "chat_template": getattr(self.processing_class, "chat_template", None)}, f)
`,
  "transformers/__init__.py": `
class _Tok:
    chat_template = None
    eos_token = "</s>"
    pad_token = None
class AutoTokenizer:
    @staticmethod
    def from_pretrained(name): return _Tok()
`,
};

describeTorch("train_trl.py with stand-in libraries (torch real)", () => {
  it("picks precision from the hardware, keeps every row, and gives a base model a plain chat template", async () => {
    const dir = await tempDir();
    const stubs = join(dir, "stubs");
    for (const [path, text] of Object.entries(STUBS)) {
      await mkdir(join(stubs, path, ".."), { recursive: true });
      await writeFile(join(stubs, path), text);
    }
    const input = await writeJsonl(dir, "m.jsonl", MESSAGES);
    const out = join(dir, "trl");
    await exportArranged({ input, to: "trl", outDir: out });
    const result = join(dir, "result.json");
    const r = spawnSync(TORCH_PYTHON!, [join(out, "train_trl.py"), "some-base-model", join(dir, "run")], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: stubs, TRL_STUB_OUT: result },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const seen = JSON.parse(await readFile(result, "utf8")) as Record<string, unknown>;
    // TRL's own default (bf16 unless fp16) would be bf16=True here even on a CPU.
    expect(seen.bf16).toBe(seen.cuda === true ? seen.bf16 : false);
    if (seen.cuda !== true) expect(seen.fp16).toBe(false);
    expect(seen.max_length).toBeNull();
    expect(seen.sampling).toBe("sequential");
    expect(seen.order).toEqual([0, 1, 2]);
    expect(String(seen.chat_template)).toContain("User: ");
  });
});
