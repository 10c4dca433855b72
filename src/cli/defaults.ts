import { DEFAULT_EMBEDDER } from "../embed/index.js";
import { ONLYIF_DEFAULTS } from "../experiment/onlyif.js";
import { REWRITE_DEFAULTS } from "../synth/rewrite.js";
import { TRAIN_DEFAULTS } from "../train/index.js";

/**
 * The defaults the CLI gives its options (what `--help` and docs/commands show), in one table. Where the
 * library has a defaults table of its own (TRAIN_DEFAULTS, REWRITE_DEFAULTS, ONLYIF_DEFAULTS), the entry
 * is read from it; the declarations in src/cli read this table and write no default of their own.
 */
export const CLI_DEFAULTS = {
  /** Every command that embeds (arrange, analyze, embed, diversity). */
  embedder: DEFAULT_EMBEDDER,
  /** Matrix engine of arrange, analyze, diversity. */
  engine: "ort",
  /** Seed of arrange and diversity. */
  seed: 0,
  /** Where train, experiment and evaluate --backend checkpoint run the model. */
  device: "auto",
  model: TRAIN_DEFAULTS.model,
  arrange: { strategy: "tma" },
  /** The experiments' arrangements: the fast lexical embedder, WSD for rank arms. */
  experiment: { embedder: "ngram", measure: "wsd" },
  onlyif: { instruction: ONLYIF_DEFAULTS.instruction },
  export: { batchSize: 16, saveSteps: 10, name: "arranged", rowsPerShard: 100_000, taskField: "task" },
  rewrite: REWRITE_DEFAULTS,
} as const;
