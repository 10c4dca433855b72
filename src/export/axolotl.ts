import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { jsonLines } from "../data/record-json.js";
import {
  batchComment,
  linesFile,
  type TargetContext,
  type TargetOutput,
  textFile,
  underOut,
} from "./output.js";
import { rowProblem } from "./source.js";

/** The axolotl `datasets:` entry that reads the input's layout as it is. */
function datasetEntry(ctx: TargetContext, file: string): Record<string, unknown> {
  const base = { path: underOut(ctx, file), ds_type: "json" };
  switch (ctx.rows.layout) {
    case "alpaca":
      return { ...base, type: "alpaca" };
    case "prompt-completion":
      // A user-defined prompt type: the prompt as it is, the completion as the answer.
      return {
        ...base,
        type: {
          field_instruction: "prompt",
          field_output: "completion",
          format: "{instruction}",
          no_input_format: "{instruction}",
        },
      };
    case "text":
      return { ...base, type: "completion", field: "text" };
    case "messages":
      return { ...base, type: "chat_template", field_messages: "messages" };
    case "sharegpt":
      return {
        ...base,
        type: "chat_template",
        field_messages: "conversations",
        message_property_mappings: { role: "from", content: "value" },
        roles: {
          user: ["human", "user"],
          assistant: ["gpt", "assistant"],
          system: ["system"],
          tool: ["tool", "observation"],
        },
      };
  }
}

/**
 * Rows axolotl would still drop with the settings below: a `completion` row whose text is empty tokenizes to
 * fewer than `min_sample_len` (default 2) tokens, and axolotl drops those (utils/data/utils.py `keep_min_len`).
 */
function checkRows(ctx: TargetContext): void {
  if (ctx.rows.layout !== "text") return;
  ctx.rows.records.forEach((r, k) => {
    if (typeof r.text !== "string" || r.text.trim() === "")
      throw rowProblem(
        ctx.rows,
        k,
        "the text is empty; axolotl drops rows shorter than min_sample_len (2 tokens), which would shift every later row",
        "fix or remove the row",
      );
  });
}

/**
 * axolotl: the rows as JSONL and a YAML snippet with the options that keep sequential order and every row.
 *
 * `dataset_prepared_path` is a directory inside the export named after the data file's content hash:
 * axolotl caches the tokenized data under `dataset_prepared_path/<md5 of the config>` (default
 * `last_run_prepared`, src/axolotl/common/const.py:3 and utils/data/shared.py:428), and that md5 is made
 * from the dataset path, sequence_len, packing and tokenizer, not the file's contents nor
 * shuffle_merged_datasets/curriculum_sampling (shared.py:633-683), so re-exporting another arrangement to
 * the same path would otherwise train on the cached old order.
 */
export function axolotl(ctx: TargetContext): TargetOutput {
  const file = `${ctx.name}.jsonl`;
  checkRows(ctx);
  const lines = [...jsonLines(ctx.rows.records)];
  const hash = createHash("sha256");
  for (const line of lines) hash.update(line);
  const prepared = `prepared-${hash.digest("hex").slice(0, 16)}`;
  const config = {
    datasets: [datasetEntry(ctx, file)],
    dataset_prepared_path: underOut(ctx, prepared),
    excess_length_strategy: "truncate",
    shuffle_merged_datasets: false,
    curriculum_sampling: true,
    sample_packing: false,
    val_set_size: 0,
    dataloader_drop_last: false,
    micro_batch_size: ctx.plan.batch_size,
    gradient_accumulation_steps: 1,
    num_epochs: 1,
    save_strategy: "steps",
    save_steps: ctx.plan.save_steps,
  };
  const yaml =
    "# axolotl settings that keep the arranged order (written by instruct-arrange export).\n" +
    "# Merge into your axolotl config (base_model, sequence_len, adapter, output_dir, ...).\n" +
    "# curriculum_sampling: true gives the trainer a sequential sampler (the default is random);\n" +
    "# shuffle_merged_datasets: false keeps the loaded rows in file order (default true);\n" +
    "# sample_packing regroups examples into bins by length, so it stays off;\n" +
    "# dataloader_drop_last: false keeps the last partial batch (axolotl leaves transformers' default, false,\n" +
    "#   except that it sets true with sample_packing and eval_sample_packing: false);\n" +
    "# excess_length_strategy: truncate cuts rows longer than sequence_len instead of dropping them (default drop);\n" +
    "# dataset_prepared_path is named after this data's content hash: axolotl's cache key ignores file contents.\n" +
    "# The dataset path is export's --out directory as given; a relative one resolves from where you run axolotl.\n" +
    `${batchComment(ctx.plan, "micro_batch_size", "gradient_accumulation_steps")}\n` +
    stringify(config);
  const readme = [
    "## axolotl",
    "",
    `- \`${file}\`: the rows in training order, every field kept (axolotl reads the fields its dataset \`type\` names).`,
    "- `axolotl.yaml`: the dataset entry and the settings that keep the order; merge them into your config and run",
    "  `axolotl train your_config.yaml`.",
    `- \`${prepared}/\` (made by axolotl): its tokenized copy of this data, named after the data's content hash, so`,
    "  another arrangement exported here gets a fresh cache instead of reusing the old order.",
    "",
    "Order-relevant settings (axolotl 0.x main, `AxolotlInputConfig` and `AxolotlTrainer._get_train_sampler`):",
    "`curriculum_sampling: true` (sequential sampler; default random), `shuffle_merged_datasets: false` (default true),",
    "`sample_packing: false`, `val_set_size: 0`, `dataloader_drop_last: false`; leave `group_by_length` unset.",
    "`excess_length_strategy: truncate` keeps rows longer than `sequence_len` (cut) instead of dropping them.",
  ].join("\n");
  return {
    files: [linesFile(file, () => lines), textFile("axolotl.yaml", yaml)],
    readme,
    trainer: {
      dropped: 0,
      settings: ["excess_length_strategy: truncate", `dataset_prepared_path: ${underOut(ctx, prepared)}`],
      note: "rows over sequence_len are cut at the end, not dropped; empty text rows (under min_sample_len) are refused at export",
    },
  };
}
