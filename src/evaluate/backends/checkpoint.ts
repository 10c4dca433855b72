import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ArrangeError, usageError } from "../../core/errors.js";
import type { ProgressSink } from "../../core/progress.js";
import { readSettings } from "../../core/settings.js";
import { LineSplitter, ProtocolError, parseEvent, type TrainerEvent } from "../../trainer/protocol.js";
import { findPython, type PythonInfo, trainerEnvironment } from "../../trainer/python.js";
import type { EvalBackend, EvalExample, ExampleScore } from "./types.js";

/**
 * `checkpoint`: a checkpoint written by `train --save-at` (RUN_DIR/checkpoints/step-N), scored by the
 * trainer's own evaluation code (`python -m instruct_trainer.evaluate`, which calls train.evaluate and
 * train.generate), so the loss equals the in-loop test loss of that step on the same examples.
 */
export interface CheckpointBackendOptions {
  checkpoint: string;
  /** Tokens per example; default the model's context. */
  maxLength?: number;
  batchSize?: number;
  python?: string;
  device?: "auto" | "cpu" | "cuda";
  threads?: number;
  seed?: number;
}

const TAIL_LINES = 8;

export async function createCheckpointBackend(options: CheckpointBackendOptions): Promise<EvalBackend> {
  const dir = resolve(options.checkpoint);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw usageError(
      `--checkpoint ${options.checkpoint} is not a directory`,
      "--checkpoint",
      "give a checkpoint directory written by `train --save-at`, e.g. RUN_DIR/checkpoints/step-100",
    );
  if (!existsSync(join(dir, "config.json")))
    throw usageError(
      `--checkpoint ${options.checkpoint} has no config.json`,
      "--checkpoint",
      "give a RUN_DIR/checkpoints/step-N directory written by `train --save-at` (or a Hugging Face model directory)",
    );
  const python = await findPython(options.python);
  let model = dir;
  let maxLength: number | null = options.maxLength ?? null;

  async function run(
    examples: readonly EvalExample[],
    what: { score: boolean; generate: boolean; maxNewTokens?: number },
    onProgress?: ProgressSink,
  ): Promise<TrainerEvent[]> {
    const work = await mkdtemp(join(tmpdir(), "ia-eval-"));
    try {
      const evalPath = join(work, "eval.jsonl");
      await writeFile(
        evalPath,
        examples
          .map((x) => `${JSON.stringify({ instruction: x.instruction, answer: x.answer, task: x.task })}\n`)
          .join(""),
      );
      const configPath = join(work, "config.json");
      await writeFile(
        configPath,
        JSON.stringify({
          protocol: 1,
          checkpoint: dir,
          eval: evalPath,
          max_length: options.maxLength ?? null,
          eval_batch_size: options.batchSize ?? 16,
          score: what.score,
          generate: what.generate,
          max_new_tokens: what.maxNewTokens ?? 64,
          device: options.device ?? "auto",
          threads: options.threads ?? null,
          seed: options.seed ?? 0,
        }),
      );
      onProgress?.({
        stage: what.score ? "evaluate:score" : "evaluate:generate",
        done: 0,
        total: examples.length,
        unit: "examples",
        message: `${what.score ? "scoring" : "generating"} ${examples.length} examples with ${python.executable} (PyTorch ${python.torch})`,
      });
      const events = await runPython(python, configPath, work);
      const error = events.find((e) => e.event === "error");
      if (error !== undefined && error.event === "error")
        // "input": the checkpoint's files are there but damaged (a truncated model.pt): exit 1, not a usage error.
        throw new ArrangeError(
          error.kind === "config" ? "usage" : error.kind === "input" ? "input" : "trainer",
          `evaluating the checkpoint failed: ${error.message}`,
          {
            file: error.kind === "input" ? options.checkpoint : undefined,
            option: error.kind === "config" || error.kind === "input" ? "--checkpoint" : undefined,
            fix:
              error.kind === "config"
                ? "give a checkpoint directory written by `train --save-at` and options it accepts"
                : error.kind === "input"
                  ? "the checkpoint is damaged or incomplete (e.g. a copy cut short): copy it again or train it again"
                  : "see the message above; run with DEBUG=1 for the Python traceback",
          },
        );
      const start = events.find((e) => e.event === "start");
      if (start !== undefined && start.event === "start") {
        model = start.model;
        maxLength = start.maxLength;
      }
      onProgress?.({
        stage: what.score ? "evaluate:score" : "evaluate:generate",
        done: examples.length,
        total: examples.length,
        unit: "examples",
      });
      return events;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  return {
    id: "checkpoint",
    get model() {
      return model;
    },
    get maxLength() {
      return maxLength;
    },
    scoresEos: true,
    async score(examples, onProgress) {
      const events = await run(examples, { score: true, generate: false }, onProgress);
      const ev = events.find((e) => e.event === "eval");
      if (ev === undefined || ev.event !== "eval" || ev.lossSum.length !== examples.length)
        throw new ArrangeError("trainer", "the checkpoint evaluation reported no losses for the examples", {
          fix: "the trainer and the CLI disagree: reinstall instruct-arrange",
        });
      const unfit = events.find((e) => e.event === "unfit");
      const cut = new Set<number>();
      // The eval module adds the indices of the examples whose prompt it cut (extra field of "unfit").
      const cutIndices = (unfit as { truncatedIndices?: unknown } | undefined)?.truncatedIndices;
      if (Array.isArray(cutIndices)) for (const i of cutIndices) if (typeof i === "number") cut.add(i);
      return examples.map((x, i): ExampleScore => {
        const lossSum = ev.lossSum[i] ?? null;
        const tokens = ev.tokens[i]!;
        if (lossSum === null && tokens > 0)
          throw new ArrangeError(
            "trainer",
            `the loss of example ${i} (task ${x.task}) is not finite: the checkpoint's weights may hold NaN`,
            { option: "--checkpoint", fix: "evaluate an earlier checkpoint of the run" },
          );
        return { task: x.task, lossSum, tokens, unfit: lossSum === null, truncated: cut.has(i) };
      });
    },
    async generate(examples, maxNewTokens, onProgress) {
      const events = await run(examples, { score: false, generate: true, maxNewTokens }, onProgress);
      const gen = events.find((e) => e.event === "generate");
      if (gen === undefined || gen.event !== "generate" || gen.outputs.length !== examples.length)
        throw new ArrangeError("trainer", "the checkpoint evaluation reported no generations", {
          fix: "the trainer and the CLI disagree: reinstall instruct-arrange",
        });
      return gen.outputs;
    },
    details() {
      return { checkpoint: dir, python: python.executable, torch: python.torch };
    },
    async close() {},
  };
}

/** Runs the eval module to its end and returns its events (stderr kept for the error message). */
function runPython(python: PythonInfo, configPath: string, cwd: string): Promise<TrainerEvent[]> {
  return new Promise((resolvePromise, reject) => {
    const env = trainerEnvironment();
    const child = spawn(python.executable, ["-m", "instruct_trainer.evaluate", configPath], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const events: TrainerEvent[] = [];
    const lines = new LineSplitter();
    const stderr: string[] = [];
    let lineNo = 0;
    let failure: unknown;
    const feed = (text: string) => {
      lineNo++;
      if (failure !== undefined || text.trim() === "") return;
      try {
        events.push(parseEvent(text, lineNo));
      } catch (e) {
        failure =
          e instanceof ProtocolError
            ? new ArrangeError("trainer", e.message, {
                fix: "the trainer and the CLI disagree: reinstall instruct-arrange",
              })
            : e;
      }
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      for (const line of lines.push(chunk)) feed(line);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      for (const l of chunk.split("\n")) if (l.trim() !== "") stderr.push(l);
      if (stderr.length > 4 * TAIL_LINES) stderr.splice(0, stderr.length - TAIL_LINES);
      if (readSettings().debug) process.stderr.write(chunk);
    });
    child.on("error", (e) => {
      failure ??= new ArrangeError("trainer", `could not start ${python.executable}: ${e.message}`, {
        option: "--python",
        fix: "pass --python PATH of a Python with PyTorch",
      });
    });
    child.on("close", (code, signal) => {
      for (const line of lines.end()) feed(line);
      if (failure !== undefined) return reject(failure);
      if (events.some((e) => e.event === "error")) return resolvePromise(events);
      if (code !== 0 || !events.some((e) => e.event === "done")) {
        const tail = stderr.slice(-TAIL_LINES).join("\n");
        return reject(
          new ArrangeError(
            "trainer",
            `the checkpoint evaluation ${signal !== null ? `was killed by ${signal}` : `exited with status ${code}`}${tail === "" ? "" : `; its log ends with:\n${tail}`}`,
            {
              fix:
                signal === "SIGKILL"
                  ? "it may have run out of memory: lower --eval-batch-size or --max-length"
                  : "run with DEBUG=1 to see the whole Python log",
            },
          ),
        );
      }
      resolvePromise(events);
    });
  });
}
