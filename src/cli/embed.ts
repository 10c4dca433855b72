import { Command } from "commander";
import { type EmbedFileOptions, embedFile, parseShard } from "../pipeline/embed-file.js";
import { embeddingOptions, runOptions, serviceOptions, singleInputOptions } from "./options.js";
import { createProgressRenderer, formatSeconds, pickProgressMode } from "./progress.js";

type EmbedFlags = Omit<EmbedFileOptions, "onProgress"> & {
  quiet?: boolean;
  logJson?: boolean;
  engine?: string;
  /** --embed-batch-size: the pipeline's batchSize. */
  embedBatchSize?: number;
};

export function embedCommand(): Command {
  const command = new Command("embed")
    .description(
      "Embed every row of a data set into a float32 .npy file (row i = input row i) with a JSON sidecar\n" +
        "(<out>.json: backend, dims, rows, input hash) that arrange and analyze check with --train-embeddings/--test-embeddings.",
    )
    .requiredOption("--out <file.npy>", "embeddings to write; the sidecar goes to <file.npy>.json")
    .option(
      "--template <template>",
      'text to embed from record fields, e.g. "{instruction} {input} {output}"',
    )
    .option(
      "--skip-invalid",
      "skip malformed rows (their .npy rows are zero, listed in the sidecar) instead of failing",
    )
    .option(
      "--shard <K/N>",
      "embed only the K-th (1-based) of N contiguous row ranges; arrange/analyze/diversity read the shards " +
        "back with a quoted pattern, e.g. --train-embeddings 'emb/train-*.npy'",
      (v: string) => parseShard(v),
    );
  const embedding = embeddingOptions().filter((o) => !o.long?.endsWith("-embeddings"));
  const run = runOptions().filter((o) => o.long !== "--engine");
  for (const option of [
    ...singleInputOptions(
      "data: .jsonl/.json/.csv/.parquet file, or a directory of one file per task (read in sorted name order)",
    ),
    ...embedding,
    ...serviceOptions(),
    ...run,
  ])
    command.addOption(option);
  return command.action(async (flags: EmbedFlags) => {
    const { quiet: _quiet, logJson: _logJson, embedBatchSize, ...others } = flags;
    const rest = { ...others, ...(embedBatchSize === undefined ? {} : { batchSize: embedBatchSize }) };
    const renderer = createProgressRenderer(pickProgressMode(flags, process.stderr));
    try {
      const t0 = performance.now();
      const r = await embedFile({ ...rest, onProgress: renderer.sink });
      const s = r.sidecar;
      const skipped = s.skipped.count > 0 ? `, ${s.skipped.count} skipped rows left zero` : "";
      const shard =
        s.shard === undefined
          ? ""
          : ` (shard ${s.shard.index}/${s.shard.count}: input rows ${s.shard.start}..${s.shard.end - 1} of ${s.shard.totalRows})`;
      renderer.info(
        `embedded ${s.rows - s.skipped.count} rows with ${s.embedder.id} (${s.dims} dims${skipped}) in ${formatSeconds((performance.now() - t0) / 1000)} -> ${flags.out}${shard}`,
        { rows: s.rows, dims: s.dims, out: flags.out, cache: r.cache },
      );
    } finally {
      renderer.stop();
    }
  });
}
