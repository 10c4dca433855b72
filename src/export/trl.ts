import { recordJson } from "../data/record-json.js";
import { writeLines } from "../data/staging.js";
import { checkInputsUnchanged } from "../data/write.js";
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

/** The column(s) TRL trains on, per input layout. */
const COLUMNS: Readonly<Record<ArrangedRows["layout"], string[]>> = {
  messages: ["messages"],
  "prompt-completion": ["prompt", "completion"],
  text: ["text"],
  sharegpt: ["messages"],
  alpaca: ["prompt", "completion"],
};

/**
 * Throws when row k cannot be written for TRL: a conversation turn without a chat role, an alpaca row that
 * already has a field the conversion would overwrite. Every row is checked before anything is written.
 */
export function checkTrlRow(rows: ArrangedRows, k: number, r: Record<string, unknown>): void {
  if (rows.layout === "sharegpt") toMessages(rows, k, r.conversations);
  else if (rows.layout === "alpaca") {
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
}

/**
 * Row k as TRL reads it, one JSONL line: conversations as `messages` [{role, content}], alpaca as
 * `prompt`/`completion`; prompt-completion, messages and text rows as they are. Every original field is
 * kept beside the added ones. The row has passed checkTrlRow.
 */
export function trlLine(rows: ArrangedRows, k: number, r: Record<string, unknown>): string {
  switch (rows.layout) {
    case "messages":
    case "prompt-completion":
    case "text":
      return `${recordJson(r)}\n`;
    case "sharegpt":
      return `${recordJson({ ...r, messages: toMessages(rows, k, r.conversations) })}\n`;
    case "alpaca": {
      // The same bytes as recordJson({ ...r, prompt, completion }), without building a copy of the row.
      const { prompt, completion } = alpacaPromptCompletion(r);
      const head = recordJson(r);
      return `${head === "{}" ? "{" : `${head.slice(0, -1)},`}"prompt":${JSON.stringify(prompt)},"completion":${JSON.stringify(completion)}}\n`;
    }
  }
}

/**
 * The TRL lines of every row, made one at a time while the file is written: from `records` (each checked
 * first, so a bad row fails before anything is written), or from `stream` (checked by the caller's first
 * pass), so memory holds one row beyond what the input's reading holds.
 */
function trlLines(rows: ArrangedRows): () => Iterable<string> {
  if (rows.stream !== undefined) {
    const stream = rows.stream;
    return function* () {
      let k = 0;
      for (const r of stream()) yield trlLine(rows, k++, r);
    };
  }
  for (let k = 0; k < rows.records.length; k++) checkTrlRow(rows, k, rows.records[k]!);
  return function* () {
    for (let k = 0; k < rows.records.length; k++) yield trlLine(rows, k, rows.records[k]!);
  };
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
# For conversational rows and a model whose tokenizer has no chat template (a base model): the same plain
# "User: ...\\nAssistant: ..." text template as instruct-arrange's own trainer.
PLAIN_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\\nAssistant: "
    "{% elif message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}\\n"
    "{% else %}{{ message['content'] }}\\n{% endif %}"
    "{% endfor %}"
)


class OrderedSFTTrainer(SFTTrainer):
    """An SFTTrainer that trains on the rows in file order instead of a random order."""

    def _get_train_sampler(self, *args, **kwargs):
        # Older transformers releases call this without arguments; newer ones (late 4.x, 5.x) pass the
        # train dataset: Trainer._get_train_sampler(self, train_dataset=None).
        dataset = args[0] if args else kwargs.get("train_dataset")
        return SequentialSampler(dataset if dataset is not None else self.train_dataset)


def precision():
    """bf16 where the GPU has it, fp16 mixed precision on older CUDA GPUs, float32 on CPU and others.

    TRL's configs default to bf16=True unless fp16 is set (trl/trainer/base_config.py, __post_init__),
    which fails to start on a CPU and on pre-Ampere GPUs.
    """
    import torch

    if torch.cuda.is_available():
        if torch.cuda.is_bf16_supported():
            return {"bf16": True, "fp16": False}
        return {"bf16": False, "fp16": True}
    return {"bf16": False, "fp16": False}


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
        # Every row is trained on: SFTTrainer truncates to max_length (default 1024) and then drops rows left
        # with no completion token (sft_trainer.py, "Dropping fully masked examples"); None does neither.
        "max_length": None,
        **precision(),
    }
    names = {f.name for f in dataclasses.fields(SFTConfig)}
    if "train_sampling_strategy" in names:  # transformers 5.x
        settings["train_sampling_strategy"] = "sequential"
    if "group_by_length" in names:  # transformers 4.x
        settings["group_by_length"] = False
    return SFTConfig(**{k: v for k, v in settings.items() if k in names})


def tokenizer_for(model):
    """The model's tokenizer, with the plain chat template when the rows are conversations and it has none."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    if "messages" in COLUMNS and getattr(tokenizer, "chat_template", None) is None:
        tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
    if getattr(tokenizer, "pad_token", None) is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: python train_trl.py MODEL_NAME_OR_PATH [OUTPUT_DIR]")
    model = sys.argv[1]
    output_dir = sys.argv[2] if len(sys.argv) > 2 else "trl-arranged"
    train = load_dataset("json", data_files=DATA_FILE, split="train").select_columns(COLUMNS)
    trainer = OrderedSFTTrainer(
        model=model,
        args=ordered_config(output_dir),
        train_dataset=train,
        processing_class=tokenizer_for(model),
    )
    trainer.train()


if __name__ == "__main__":
    main()
`;
}

/** TRL (SFTTrainer): a messages / prompt-completion / text JSONL and a Python script that keeps the order. */
export function trl(ctx: TargetContext): TargetOutput {
  const file = `${ctx.name}.jsonl`;
  const columns = COLUMNS[ctx.rows.layout];
  const lines = trlLines(ctx.rows);
  const readme = [
    "## TRL (SFTTrainer)",
    "",
    `- \`${file}\`: the rows in training order with the column(s) ${columns.map((c) => `\`${c}\``).join(", ")} TRL trains on${ctx.rows.layout === "alpaca" || ctx.rows.layout === "sharegpt" ? " (added beside every original field)" : ""}.`,
    "- `train_trl.py`: `python train_trl.py MODEL [OUTPUT_DIR]`. TRL's trainer is transformers' `Trainer`, whose",
    "  training sampler is random by default; the script overrides `_get_train_sampler` with a `SequentialSampler`,",
    '  sets `train_sampling_strategy="sequential"` on transformers 5.x (`group_by_length=False` on 4.x),',
    "  `packing=False` and `dataloader_drop_last=False`. There is no config-only way on transformers 4.x: keep the override.",
    "  `max_length=None` keeps every row whole (TRL's default truncates at 1024 tokens and drops rows left without",
    "  completion tokens). Precision follows the hardware (bf16 where supported, fp16 on older CUDA GPUs, float32 on",
    "  CPU; TRL defaults to bf16). Conversations on a model without a chat template get a plain",
    '  "User: …\\nAssistant: …" template.',
  ].join("\n");
  return {
    files: [
      ctx.rows.stream === undefined
        ? linesFile(file, lines)
        : {
            name: file,
            write: async (path) => {
              await writeLines(path, lines());
              // The rows were read twice more after the first read: the input must still be what was read.
              await checkInputsUnchanged(ctx.rows.dataset);
            },
          },
      textFile("train_trl.py", pythonSnippet(file, columns, ctx)),
    ],
    readme,
    trainer: {
      dropped: 0,
      settings: ["max_length=None", "packing=False", "dataloader_drop_last=False"],
      note: "with max_length=None SFTTrainer neither truncates nor drops fully masked rows",
    },
  };
}
