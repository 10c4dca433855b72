import { stringify } from "yaml";
import { jsonLines } from "../data/record-json.js";
import { batchComment, linesFile, type TargetContext, type TargetOutput, textFile } from "./output.js";
import { type ArrangedRows, rowProblem } from "./source.js";

/** LLaMA-Factory's sharegpt role tags for each input layout (its sharegpt defaults, or the OpenAI names). */
const TAGS = {
  sharegpt: {
    role_tag: "from",
    content_tag: "value",
    user_tag: "human",
    assistant_tag: "gpt",
    observation_tag: "observation",
    function_tag: "function_call",
    system_tag: "system",
  },
  messages: {
    role_tag: "role",
    content_tag: "content",
    user_tag: "user",
    assistant_tag: "assistant",
    observation_tag: "tool",
    function_tag: "function_call",
    system_tag: "system",
  },
} as const;

const TURN_FIX =
  "LLaMA-Factory drops such rows while loading, which would shift every later row; fix or remove the row, or export with --to trl or --to hf-dataset, which keep any conversation";

/**
 * LLaMA-Factory: the rows as JSONL (unchanged: the dataset_info.json entry maps its columns onto the input's
 * field names), the dataset_info.json entry, and a training-config snippet that turns its shuffling off.
 */
export function llamaFactory(ctx: TargetContext): TargetOutput {
  const { rows, name } = ctx;
  const file = `${name}.jsonl`;
  const has = (field: string) => rows.records.some((r) => Object.hasOwn(r, field));
  checkResponses(rows);
  let entry: Record<string, unknown>;
  let stage = "sft";
  switch (rows.layout) {
    case "alpaca": {
      const columns: Record<string, string> = { prompt: "instruction", query: "input", response: "output" };
      if (has("system")) columns.system = "system";
      if (has("history")) columns.history = "history";
      entry = { file_name: file, formatting: "alpaca", columns };
      break;
    }
    case "prompt-completion":
      entry = {
        file_name: file,
        formatting: "alpaca",
        columns: { prompt: "prompt", response: "completion" },
      };
      break;
    case "text":
      // Plain text trains as pre-training (stage pt), which reads the prompt column only.
      entry = { file_name: file, formatting: "alpaca", columns: { prompt: "text" } };
      stage = "pt";
      break;
    case "sharegpt":
    case "messages": {
      const field = rows.layout === "sharegpt" ? "conversations" : "messages";
      checkTurns(rows, field, TAGS[rows.layout]);
      const columns: Record<string, string> = { messages: field };
      if (has("system")) columns.system = "system";
      if (has("tools")) columns.tools = "tools";
      entry = { file_name: file, formatting: "sharegpt", columns, tags: TAGS[rows.layout] };
      break;
    }
  }
  const info = `${JSON.stringify({ [name]: entry }, null, 2)}\n`;
  const config = {
    stage,
    do_train: true,
    dataset: name,
    dataset_dir: ctx.outDir.replace(/\\/g, "/"),
    disable_shuffling: true,
    val_size: 0,
    streaming: false,
    packing: false,
    neat_packing: false,
    mix_strategy: "concat",
    overwrite_cache: true,
    per_device_train_batch_size: ctx.plan.batch_size,
    gradient_accumulation_steps: 1,
    num_train_epochs: 1,
    save_strategy: "steps",
    save_steps: ctx.plan.save_steps,
  };
  const yaml =
    "# LLaMA-Factory training settings that keep the arranged order (written by instruct-arrange export).\n" +
    "# Merge into your training YAML (model_name_or_path, template, finetuning_type, output_dir, ...).\n" +
    "# disable_shuffling: true makes the trainer use a sequential sampler instead of a random one;\n" +
    "# val_size: 0 because splitting off a validation set shuffles the data (datasets' train_test_split);\n" +
    "# packing and neat_packing regroup examples; streaming always shuffles with a buffer (data_utils.py split_dataset).\n" +
    `${batchComment(ctx.plan, "per_device_train_batch_size", "gradient_accumulation_steps")}\n` +
    stringify(config);
  const readme = [
    "## LLaMA-Factory",
    "",
    `- \`${file}\`: the rows in training order, every field kept (LLaMA-Factory reads the columns named in the entry and ignores the others).`,
    `- \`dataset_info.json\`: the entry \`${name}\` (\`formatting: ${entry.formatting as string}\`${stage === "pt" ? "; text rows train with `stage: pt`" : ""}). Put it in your \`dataset_dir\` (or merge it into an existing \`dataset_info.json\`).`,
    "- `llamafactory.yaml`: the settings that keep the order; merge them into your training config and run",
    "  `llamafactory-cli train your_config.yaml`.",
    "",
    "Order-relevant settings (LLaMA-Factory 0.9.x): `disable_shuffling: true` (default false: random sampler), `val_size: 0`,",
    "`streaming: false` (streaming shuffles with a buffer), `packing: false`, `neat_packing: false`, one dataset (or `mix_strategy: concat`).",
  ].join("\n");
  return {
    files: [
      linesFile(file, () => jsonLines(rows.records)),
      textFile("dataset_info.json", info),
      textFile("llamafactory.yaml", yaml),
    ],
    readme,
    trainer: {
      dropped: 0,
      settings: [],
      note: "rows LLaMA-Factory drops (a non-string response, conversations that do not alternate) are refused at export; it truncates long rows (cutoff_len) instead of dropping them",
    },
  };
}

/**
 * LLaMA-Factory reads an alpaca response only when it is a string (converter.py `AlpacaDatasetConverter`:
 * otherwise the response list is empty) and the supervised preprocessor then drops the row ("Dropped
 * invalid example", processor/supervised.py), which would shift every later row: refuse such rows here.
 */
function checkResponses(rows: ArrangedRows): void {
  const field =
    rows.layout === "alpaca" ? "output" : rows.layout === "prompt-completion" ? "completion" : null;
  if (field === null) return;
  rows.records.forEach((r, k) => {
    if (typeof r[field] !== "string")
      throw rowProblem(
        rows,
        k,
        `"${field}" is ${r[field] === null ? "null" : typeof r[field]}, not a string; LLaMA-Factory drops such rows`,
        `make "${field}" a string (e.g. "5" for 5), remove the row, or export with --to trl or --to hf-dataset`,
      );
  });
}

/**
 * LLaMA-Factory keeps a conversation only when an optional system turn is followed by user (or observation)
 * and assistant (or function) turns in alternation, an even number of them, each with text content.
 */
function checkTurns(rows: ArrangedRows, field: string, tags: (typeof TAGS)[keyof typeof TAGS]): void {
  const userSide = new Set<string>([tags.user_tag, tags.observation_tag]);
  const assistantSide = new Set<string>([tags.assistant_tag, tags.function_tag]);
  for (let k = 0; k < rows.records.length; k++) {
    const turns = rows.records[k]![field] as Record<string, unknown>[];
    let t = 0;
    if (turns.length > 0 && turns[0]?.[tags.role_tag] === tags.system_tag) t = 1;
    const n = turns.length - t;
    if (n === 0 || n % 2 !== 0) {
      throw rowProblem(
        rows,
        k,
        `${field} has ${n} turns after the system turn; LLaMA-Factory needs a non-zero even number`,
        TURN_FIX,
      );
    }
    for (let i = 0; t + i < turns.length; i++) {
      const turn = turns[t + i]!;
      const role = turn[tags.role_tag];
      const side = i % 2 === 0 ? userSide : assistantSide;
      if (typeof role !== "string" || !side.has(role)) {
        const want = [...side].join(" or ");
        throw rowProblem(
          rows,
          k,
          `${field}[${t + i}] has ${tags.role_tag} ${JSON.stringify(role)} where LLaMA-Factory expects ${want}`,
          TURN_FIX,
        );
      }
      if (typeof turn[tags.content_tag] !== "string") {
        throw rowProblem(rows, k, `${field}[${t + i}].${tags.content_tag} is not a string`, TURN_FIX);
      }
    }
  }
}
