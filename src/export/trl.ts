import { jsonLines, recordJson } from "./json.js";
import { linesFile, type TargetContext, type TargetOutput, textFile } from "./output.js";
import { type ArrangedRows, rowProblem } from "./source.js";

/** ShareGPT speakers as chat roles. */
const ROLES: Readonly<Record<string, string>> = {
  human: "user",
  user: "user",
  gpt: "assistant",
  assistant: "assistant",
  system: "system",
  observation: "tool",
  tool: "tool",
  function_call: "assistant",
};

/**
 * The rows as TRL reads them: conversations as `messages` [{role, content}], alpaca as `prompt`/`completion`;
 * prompt-completion, messages and text rows as they are. Every original field is kept beside the added ones.
 * Every row is checked first (a bad row fails before anything is written); the converted rows are then made
 * one at a time while the file is written (`records` can be iterated again), so memory stays that of the input.
 */
export function trlRows(rows: ArrangedRows): {
  records: Iterable<Record<string, unknown>>;
  columns: string[];
  /** The JSONL lines of `records`, where a faster way to write them exists. */
  lines?: () => Iterable<string>;
} {
  const lazy = (convert: (r: Record<string, unknown>, k: number) => Record<string, unknown>) => ({
    *[Symbol.iterator]() {
      for (let k = 0; k < rows.records.length; k++) yield convert(rows.records[k]!, k);
    },
  });
  switch (rows.layout) {
    case "messages":
      return { records: rows.records, columns: ["messages"] };
    case "prompt-completion":
      return { records: rows.records, columns: ["prompt", "completion"] };
    case "text":
      return { records: rows.records, columns: ["text"] };
    case "sharegpt":
      for (let k = 0; k < rows.records.length; k++) toMessages(rows, k, rows.records[k]!.conversations);
      return {
        records: lazy((r, k) => ({ ...r, messages: toMessages(rows, k, r.conversations) })),
        columns: ["messages"],
      };
    case "alpaca":
      for (let k = 0; k < rows.records.length; k++) {
        const r = rows.records[k]!;
        for (const field of ["prompt", "completion"]) {
          if (Object.hasOwn(r, field)) {
            throw rowProblem(
              rows,
              k,
              `the alpaca row already has a "${field}" field, which the TRL prompt-completion layout would overwrite`,
              `rename the row's "${field}" field, or convert the rows to prompt/completion yourself and export those`,
            );
          }
        }
      }
      return {
        records: lazy((r) => ({ ...r, ...alpacaPromptCompletion(r) })),
        columns: ["prompt", "completion"],
        // The same bytes as jsonLines(records), without building a copy of each row.
        lines: function* () {
          for (const r of rows.records) {
            const { prompt, completion } = alpacaPromptCompletion(r);
            const head = recordJson(r);
            yield `${head === "{}" ? "{" : `${head.slice(0, -1)},`}"prompt":${JSON.stringify(prompt)},"completion":${JSON.stringify(completion)}}\n`;
          }
        },
      };
  }
}

function alpacaPromptCompletion(r: Record<string, unknown>): { prompt: string; completion: string } {
  const input = r.input === undefined || r.input === null ? "" : String(r.input);
  const prompt = input.trim() === "" ? String(r.instruction) : `${String(r.instruction)}\n\n${input}`;
  return { prompt, completion: String(r.output) };
}

function toMessages(rows: ArrangedRows, k: number, turns: unknown): { role: string; content: unknown }[] {
  return (turns as Record<string, unknown>[]).map((turn, t) => {
    const from = turn.from;
    const role = typeof from === "string" ? ROLES[from] : undefined;
    if (role === undefined) {
      throw rowProblem(
        rows,
        k,
        `conversations[${t}].from is ${JSON.stringify(from)}, which has no chat role`,
        `use one of ${Object.keys(ROLES).join(", ")} as "from", or fix or remove the row`,
      );
    }
    return { role, content: turn.value };
  });
}

function pythonSnippet(file: string, columns: string[], ctx: TargetContext): string {
  const cols = `[${columns.map((c) => JSON.stringify(c)).join(", ")}]`;
  return `"""Fine-tune with TRL's SFTTrainer on the arranged rows, in the arranged order.

Written by instruct-arrange export. Run: python train_trl.py MODEL_NAME_OR_PATH [OUTPUT_DIR]
Both Trainer samplers in transformers shuffle by default (RandomSampler; in 5.x
train_sampling_strategy="random"), so OrderedSFTTrainer returns a SequentialSampler.
"""

import dataclasses
import os
import sys

from datasets import load_dataset
from torch.utils.data import SequentialSampler
from trl import SFTConfig, SFTTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_FILE = os.path.join(HERE, ${JSON.stringify(file)})
COLUMNS = ${cols}
# The step plan in rounds.json assumes ${ctx.plan.batch_size} examples per optimizer step:
# per_device_train_batch_size x gradient_accumulation_steps x number of GPUs must equal ${ctx.plan.batch_size}.
BATCH_SIZE = ${ctx.plan.batch_size}
SAVE_STEPS = ${ctx.plan.save_steps}


class OrderedSFTTrainer(SFTTrainer):
    """An SFTTrainer that trains on the rows in file order instead of a random order."""

    def _get_train_sampler(self, *args, **kwargs):
        # transformers 4.x calls this with no argument, later versions with the train dataset.
        dataset = args[0] if args else kwargs.get("train_dataset")
        return SequentialSampler(dataset if dataset is not None else self.train_dataset)


def ordered_config(output_dir):
    settings = {
        "output_dir": output_dir,
        "per_device_train_batch_size": BATCH_SIZE,
        "gradient_accumulation_steps": 1,
        "num_train_epochs": 1,
        "save_strategy": "steps",
        "save_steps": SAVE_STEPS,
        "packing": False,
        "dataloader_drop_last": False,
    }
    names = {f.name for f in dataclasses.fields(SFTConfig)}
    if "train_sampling_strategy" in names:  # transformers 5.x
        settings["train_sampling_strategy"] = "sequential"
    if "group_by_length" in names:  # transformers 4.x
        settings["group_by_length"] = False
    return SFTConfig(**settings)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: python train_trl.py MODEL_NAME_OR_PATH [OUTPUT_DIR]")
    model = sys.argv[1]
    output_dir = sys.argv[2] if len(sys.argv) > 2 else "trl-arranged"
    train = load_dataset("json", data_files=DATA_FILE, split="train").select_columns(COLUMNS)
    trainer = OrderedSFTTrainer(model=model, args=ordered_config(output_dir), train_dataset=train)
    trainer.train()


if __name__ == "__main__":
    main()
`;
}

/** TRL (SFTTrainer): a messages / prompt-completion / text JSONL and a Python script that keeps the order. */
export function trl(ctx: TargetContext): TargetOutput {
  const file = `${ctx.name}.jsonl`;
  const { records, columns, lines } = trlRows(ctx.rows);
  const readme = [
    "## TRL (SFTTrainer)",
    "",
    `- \`${file}\`: the rows in training order with the column(s) ${columns.map((c) => `\`${c}\``).join(", ")} TRL trains on${ctx.rows.layout === "alpaca" || ctx.rows.layout === "sharegpt" ? " (added beside every original field)" : ""}.`,
    "- `train_trl.py`: `python train_trl.py MODEL [OUTPUT_DIR]`. TRL's trainer is transformers' `Trainer`, whose",
    "  training sampler is random by default; the script overrides `_get_train_sampler` with a `SequentialSampler`,",
    '  sets `train_sampling_strategy="sequential"` on transformers 5.x (`group_by_length=False` on 4.x),',
    "  `packing=False` and `dataloader_drop_last=False`. There is no config-only way on transformers 4.x: keep the override.",
  ].join("\n");
  return {
    files: [
      linesFile(file, lines ?? (() => jsonLines(records))),
      textFile("train_trl.py", pythonSnippet(file, columns, ctx)),
    ],
    readme,
  };
}
