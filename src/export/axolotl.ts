import { stringify } from "yaml";
import { jsonLines } from "./json.js";
import {
  batchComment,
  linesFile,
  type TargetContext,
  type TargetOutput,
  textFile,
  underOut,
} from "./output.js";

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

/** axolotl: the rows as JSONL (unchanged) and a YAML snippet with the options that keep sequential order. */
export function axolotl(ctx: TargetContext): TargetOutput {
  const file = `${ctx.name}.jsonl`;
  const config = {
    datasets: [datasetEntry(ctx, file)],
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
    "# dataloader_drop_last: false keeps the last partial batch (axolotl drops it by default).\n" +
    "# The dataset path is export's --out directory as given; a relative one resolves from where you run axolotl.\n" +
    `${batchComment(ctx.plan, "micro_batch_size", "gradient_accumulation_steps")}\n` +
    stringify(config);
  const readme = [
    "## axolotl",
    "",
    `- \`${file}\`: the rows in training order, every field kept (axolotl reads the fields its dataset \`type\` names).`,
    "- `axolotl.yaml`: the dataset entry and the settings that keep the order; merge them into your config and run",
    "  `axolotl train your_config.yaml`.",
    "",
    "Order-relevant settings (axolotl 0.x main, `AxolotlInputConfig` and `AxolotlTrainer._get_train_sampler`):",
    "`curriculum_sampling: true` (sequential sampler; default random), `shuffle_merged_datasets: false` (default true),",
    "`sample_packing: false`, `val_set_size: 0`, `dataloader_drop_last: false`; leave `group_by_length` unset.",
  ].join("\n");
  return {
    files: [linesFile(file, () => jsonLines(ctx.rows.records)), textFile("axolotl.yaml", yaml)],
    readme,
  };
}
