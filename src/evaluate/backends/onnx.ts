import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  LogLevel,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from "@huggingface/transformers";
import { ArrangeError, usageError } from "../../core/errors.js";
import type { ProgressSink } from "../../core/progress.js";
import { withConsoleOnStderr } from "../../embed/console-guard.js";
import { encodeExample, generationPrompt, type TemplateTokenizer } from "../template.js";
import type { EvalBackend, EvalExample, ExampleScore } from "./types.js";

/**
 * `onnx`: a local causal LM exported to ONNX (a Hugging Face directory with config.json, tokenizer.json,
 * tokenizer_config.json and onnx/model.onnx), run by transformers.js on onnxruntime-node (CPU).
 *
 * Examples are tokenized with the model's tokenizer exactly as the trainer does for a model directory
 * (template.ts: prompt and answer encoded separately without special tokens, BOS in front when the
 * tokenizer has one, EOS after the answer; the prompt cut from the left to `maxLength`). Scoring runs the
 * model's forward pass (`model(feeds)`: transformers.js feeds empty past_key_values when the graph has
 * them) on right-padded batches and takes the log-softmax of the logits at the answer positions, summed
 * in float64. Generation is greedy, one full forward pass per new token (no KV cache: simple and exact,
 * quadratic in length), stopping at EOS or the context.
 */
export interface OnnxBackendOptions {
  modelDir: string;
  /** Tokens per example; default the model's positions (config n_positions / max_position_embeddings). */
  maxLength?: number;
  /** Largest padded batch in tokens (rows × longest row), default 4096. */
  tokenBudget?: number;
  threads?: number;
  quantized?: boolean;
}

/** The causal LM's context from its config, when it names one. */
function contextOf(dir: string): number | undefined {
  const path = join(dir, "config.json");
  if (!existsSync(path)) return undefined;
  const c = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  for (const k of ["n_positions", "max_position_embeddings", "n_ctx", "max_sequence_length"]) {
    const v = c[k];
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return v;
  }
  return undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function createOnnxBackend(options: OnnxBackendOptions): Promise<EvalBackend> {
  if (options.modelDir === undefined || options.modelDir === "")
    throw usageError(
      "--backend onnx needs --model-dir",
      "--model-dir",
      "pass a directory with config.json, tokenizer.json and onnx/model.onnx",
    );
  const dir = resolve(options.modelDir);
  const onnxFile = options.quantized ? "onnx/model_quantized.onnx" : "onnx/model.onnx";
  const missing = ["config.json", "tokenizer.json", "tokenizer_config.json", onnxFile].filter(
    (f) => !existsSync(join(dir, f)),
  );
  if (missing.length > 0)
    throw new ArrangeError("usage", `the model directory ${options.modelDir} lacks ${missing.join(", ")}`, {
      option: "--model-dir",
      fix: "give a causal LM exported for transformers.js (e.g. optimum-cli export onnx --task text-generation MODEL DIR)",
    });
  env.logLevel = LogLevel.ERROR;
  const threads = options.threads ?? availableParallelism();
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  try {
    ({ tokenizer, model } = await withConsoleOnStderr(async () => ({
      tokenizer: await AutoTokenizer.from_pretrained(dir, { local_files_only: true }),
      model: await AutoModelForCausalLM.from_pretrained(dir, {
        local_files_only: true,
        device: "cpu",
        dtype: options.quantized ? "q8" : "fp32",
        session_options: {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: "sequential",
          graphOptimizationLevel: "all",
        },
      }),
    })));
  } catch (e) {
    // The files are there (checked above) but do not load: a damaged or truncated model, not a usage error.
    throw new ArrangeError("input", `could not load the causal LM in ${dir}: ${errorText(e)}`, {
      file: options.modelDir,
      option: "--model-dir",
      fix: "give a text-generation model exported to ONNX for transformers.js (config.json, tokenizer.json, onnx/model.onnx)",
      cause: e,
    });
  }
  const t = tokenizer as unknown as {
    bos_token_id?: number | null;
    eos_token_id?: number | null;
    pad_token_id?: number | null;
  };
  if (typeof t.eos_token_id !== "number")
    throw new ArrangeError(
      "usage",
      `the tokenizer in ${dir} has no EOS token; the template needs one to end answers`,
      {
        option: "--model-dir",
        fix: "set eos_token in tokenizer_config.json",
      },
    );
  const eosId = t.eos_token_id;
  const bosId = typeof t.bos_token_id === "number" ? t.bos_token_id : null;
  const padId = typeof t.pad_token_id === "number" ? t.pad_token_id : eosId;
  const tok: TemplateTokenizer = {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    bosId,
    eosId,
  };
  const context = contextOf(dir) ?? 2048;
  const maxLength = options.maxLength ?? context;
  if (!Number.isSafeInteger(maxLength) || maxLength < 2)
    throw usageError(
      `--max-length must be an integer >= 2, got ${maxLength}`,
      "--max-length",
      "pass e.g. --max-length 512",
    );
  if (maxLength > context)
    throw usageError(
      `--max-length ${maxLength} is longer than the model's context (${context})`,
      "--max-length",
      `pass --max-length ${context} or less`,
    );
  const tokenBudget = options.tokenBudget ?? 4096;

  /** Logits [rows, seq, vocab] of right-padded rows. */
  async function forward(
    rows: readonly number[][],
  ): Promise<{ data: Float32Array; seq: number; vocab: number }> {
    const seq = rows.reduce((m, r) => Math.max(m, r.length), 0);
    const ids = new BigInt64Array(rows.length * seq).fill(BigInt(padId));
    const mask = new BigInt64Array(rows.length * seq);
    rows.forEach((row, r) => {
      row.forEach((id, j) => {
        ids[r * seq + j] = BigInt(id);
        mask[r * seq + j] = 1n;
      });
    });
    const out = (await (model as unknown as (f: Record<string, Tensor>) => Promise<Record<string, Tensor>>)({
      input_ids: new Tensor("int64", ids, [rows.length, seq]),
      attention_mask: new Tensor("int64", mask, [rows.length, seq]),
    })) as Record<string, Tensor>;
    const logits = out.logits;
    if (logits === undefined || logits.dims.length !== 3 || !(logits.data instanceof Float32Array))
      throw new Error('the model gave no float32 [batch, sequence, vocab] output "logits"');
    return { data: logits.data, seq: logits.dims[1]!, vocab: logits.dims[2]! };
  }

  return {
    id: "onnx",
    model: dir,
    maxLength,
    scoresEos: true,
    async score(examples: readonly EvalExample[], onProgress?: ProgressSink): Promise<ExampleScore[]> {
      const enc = examples.map((x) => encodeExample(tok, maxLength, x.instruction, x.answer));
      const out: ExampleScore[] = enc.map((e, i) => ({
        task: examples[i]!.task,
        lossSum: null,
        tokens: 0,
        unfit: e.ids === null,
        truncated: e.truncated > 0,
      }));
      const fit = enc.map((_e, i) => i).filter((i) => enc[i]!.ids !== null);
      fit.sort((a, b) => enc[b]!.ids!.length - enc[a]!.ids!.length || a - b);
      let done = enc.length - fit.length;
      for (let s = 0; s < fit.length; ) {
        const longest = enc[fit[s]!]!.ids!.length;
        const part = fit.slice(s, s + Math.max(1, Math.floor(tokenBudget / longest)));
        s += part.length;
        const { data, seq, vocab } = await withConsoleOnStderr(() =>
          forward(part.map((i) => enc[i]!.ids!)),
        ).catch((e: unknown) => {
          throw new ArrangeError(
            "input",
            `the model in ${dir} failed on ${part.length} examples of up to ${longest} tokens: ${errorText(e)}`,
            {
              option: "--model-dir",
              fix: "give a causal LM whose ONNX graph takes input_ids and attention_mask and returns logits",
              cause: e,
            },
          );
        });
        part.forEach((i, r) => {
          const e = enc[i]!;
          const ids = e.ids!;
          let sum = 0;
          for (let j = e.answerStart; j < ids.length; j++) {
            const base = (r * seq + j - 1) * vocab;
            let max = -Infinity;
            for (let v = 0; v < vocab; v++) max = Math.max(max, data[base + v]!);
            let z = 0;
            for (let v = 0; v < vocab; v++) z += Math.exp(data[base + v]! - max);
            sum += max + Math.log(z) - data[base + ids[j]!]!;
          }
          if (!Number.isFinite(sum))
            throw new ArrangeError("input", `the model in ${dir} gave a non-finite loss for example ${i}`, {
              option: "--model-dir",
              fix: "check the model's weights (NaN or infinite logits)",
            });
          out[i]!.lossSum = sum;
          out[i]!.tokens = e.answerTokens;
        });
        done += part.length;
        onProgress?.({ stage: "evaluate:score", done, total: enc.length, unit: "examples" });
      }
      return out;
    },
    async generate(
      examples: readonly EvalExample[],
      maxNewTokens: number,
      onProgress?: ProgressSink,
    ): Promise<string[]> {
      const texts: string[] = [];
      for (const x of examples) {
        const e = encodeExample(tok, maxLength, x.instruction, x.answer);
        const ids = generationPrompt(e.promptIds, bosId, context, maxNewTokens);
        const gen: number[] = [];
        for (let step = 0; step < maxNewTokens && ids.length < context; step++) {
          const { data, seq, vocab } = await withConsoleOnStderr(() => forward([ids]));
          const base = (seq - 1) * vocab;
          let best = 0;
          for (let v = 1; v < vocab; v++) if (data[base + v]! > data[base + best]!) best = v;
          if (best === eosId) break;
          gen.push(best);
          ids.push(best);
        }
        texts.push(tokenizer.decode(gen, { skip_special_tokens: true }));
        onProgress?.({
          stage: "evaluate:generate",
          done: texts.length,
          total: examples.length,
          unit: "examples",
        });
      }
      return texts;
    },
    details() {
      return { modelDir: dir, onnx: onnxFile, context, transformersJs: env.version };
    },
    async close() {
      await model.dispose();
    },
  };
}
