import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { basename, join, resolve } from "node:path";
import { ArrangeError, usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { onSignalExit } from "../core/temp-files.js";
import { atomicWrite, writeAll } from "../data/atomic.js";
import { ioError } from "../data/io.js";
import { checkOutputPaths } from "../data/outputs.js";
import {
  LineSplitter,
  ProtocolError,
  parseEvent,
  type StartEvent,
  type TrainerEvent,
  type UnfitEvent,
} from "../trainer/protocol.js";
import { findPython, type PythonInfo, trainerEnvironment } from "../trainer/python.js";
import { VERSION } from "../version.js";
import { readExamples, readTexts, sampleExamples, type TrainExample } from "./examples.js";
import { type CurvePoint, EMPTY_FOLD, type FoldContext, foldTrainerEvent, type TrainFold } from "./fold.js";
import { resolveSettings, type SettingsInput, type TrainSettings, totalSteps } from "./options.js";

export type { CurvePoint } from "./fold.js";

export interface TrainOptions extends SettingsInput {
  /** Training set in the order to train on (e.g. arrange's --out). */
  data: string;
  /** Test set whose answer-token loss is the curve. */
  eval: string;
  /** Run directory (created): curves.json, run.json, trainer.log, prepared data. */
  out: string;
  /** Python with PyTorch (else $INSTRUCT_ARRANGE_PYTHON, python3, /usr/bin/python3). */
  python?: string;
  /** Curve label; default the run directory's name. */
  label?: string;
  taskField?: string;
  skipInvalid?: boolean;
  /** Ask the trainer to report the example indices of every step ("order" events). */
  debugOrder?: boolean;
  /**
   * Replace an existing non-empty run directory: its files are removed before training starts, so an
   * interrupted run never leaves old and new files mixed. Without it such a directory is refused.
   */
  overwrite?: boolean;
  onProgress?: ProgressSink;
  /** Every trainer event as it arrives (the CLI's --log-json). */
  onEvent?: (event: TrainerEvent) => void;
}

/** RUN_DIR/curves.json (shared format with `report`): no timings, so equal inputs give equal bytes. */
export interface TrainCurves {
  tool: "instruct-arrange";
  version: string;
  kind: "train-curves";
  label: string;
  batchSize: number;
  evalEvery: number;
  model: string;
  seed: number;
  steps: number;
  trainExamples: number;
  testExamples: number;
  maxLength: number;
  points: CurvePoint[];
}

export interface TrainResult {
  runDir: string;
  curvesPath: string;
  curves: TrainCurves;
  python: PythonInfo;
  start: StartEvent;
  unfit: UnfitEvent[];
  trainSeconds: number;
  stepsPerSecond: number | null;
  seconds: number;
  /** Step -> example indices, with debugOrder. */
  order: number[][];
}

const LOG_TAIL_LINES = 8;

/**
 * Checked before any work: an interrupted run into a directory of an earlier one would leave it mixed
 * (curves.json and run.json from the old run, trainer-config.json and eval.jsonl from the new one).
 * Returns the entries already there (removed later, with --overwrite).
 */
async function checkRunDirectory(options: TrainOptions, runDir: string): Promise<string[]> {
  await checkOutputPaths(
    [
      { flag: "--train", path: options.data },
      { flag: "--test", path: options.eval },
    ],
    [{ flag: "--out-dir", path: options.out, kind: "dir" }],
  );
  const existing = await existingEntries(runDir);
  if (existing.length > 0 && options.overwrite !== true)
    throw new ArrangeError(
      "usage",
      `the run directory already holds ${existing.length} entr${existing.length === 1 ? "y" : "ies"} (${existing.slice(0, 4).join(", ")}${existing.length > 4 ? ", ..." : ""})`,
      {
        file: options.out,
        option: "--out-dir",
        fix: "pass a new --out-dir directory, or --overwrite to remove the old run's files first",
      },
    );
  return existing;
}

/** The training set, the test sample the trainer evaluates, and the run's steps (--generate-at/--save-at checked). */
async function readTrainingSets(options: TrainOptions, settings: TrainSettings) {
  const read = (path: string, option: string) =>
    readExamples(path, { option, taskField: options.taskField, skipInvalid: options.skipInvalid });
  // The prepared training lines: instruction rows, or (--objective lm) the texts the trainer packs.
  const trainRows: TrainRow[] =
    settings.objective === "lm"
      ? (await readTexts(options.data, { option: "--train", skipInvalid: options.skipInvalid })).map(
          (text) => ({ text }),
        )
      : (await read(options.data, "--train")).examples;
  const evalSet = await read(options.eval, "--test");
  const evalSample = sampleExamples(evalSet.examples, settings.evalMaxExamples ?? undefined, settings.seed);
  const steps = totalSteps(settings, trainRows.length);
  for (const [flag, list] of [
    ["--generate-at", settings.generateAt],
    ["--save-at", settings.saveAt],
  ] as const) {
    const bad = list.find((s) => s > steps);
    if (bad !== undefined)
      throw usageError(
        `${flag} ${bad} is past the last step (${steps})`,
        flag,
        `give steps between 0 and ${steps}`,
      );
  }
  return { trainRows, evalSample, steps };
}

/** The Python with PyTorch (and transformers, for a model that is not built in). */
async function findTrainerPython(explicit: string | undefined, settings: TrainSettings): Promise<PythonInfo> {
  const python = await findPython(explicit);
  if (!settings.model.startsWith("builtin") && python.transformers === null)
    throw new ArrangeError(
      "trainer",
      `--model ${settings.model} needs the Python package transformers, which ${python.executable} cannot import`,
      {
        option: "--model",
        fix: "install transformers for that Python (pip install transformers), or use --model builtin:mini",
      },
    );
  return python;
}

/** RUN_DIR/trainer-config.json: every setting the Python trainer takes, given explicitly. */
export function trainerConfig(
  settings: TrainSettings,
  paths: { train: string; eval: string; runDir: string },
  debugOrder: boolean,
) {
  return {
    protocol: 1,
    train: paths.train,
    eval: paths.eval,
    out_dir: paths.runDir,
    model: settings.model,
    max_length: settings.maxLength,
    batch_size: settings.batchSize,
    grad_accum: settings.gradAccum,
    eval_batch_size: settings.evalBatchSize,
    lr: settings.lr,
    warmup: settings.warmup,
    min_lr_ratio: settings.minLrRatio,
    weight_decay: settings.weightDecay,
    clip: settings.clip,
    epochs: settings.epochs,
    max_steps: settings.maxSteps,
    eval_every: settings.evalEvery,
    generate_at: settings.generateAt,
    generate_max_examples: settings.generateMaxExamples,
    max_new_tokens: settings.maxNewTokens,
    save_at: settings.saveAt,
    seed: settings.seed,
    threads: settings.threads,
    device: settings.device,
    dtype: settings.dtype,
    dist_timeout_minutes: settings.distTimeoutMinutes,
    debug_order: debugOrder,
    objective: settings.objective,
    init: settings.init?.path ?? null,
  };
}

/** The run directory made fresh (the old run removed first with --overwrite), with the trainer's inputs. */
async function prepareRunDirectory(
  runDir: string,
  existing: readonly string[],
  trainRows: readonly TrainRow[],
  evalExamples: readonly TrainExample[],
  settings: TrainSettings,
  debugOrder: boolean,
): Promise<{ configPath: string; logPath: string }> {
  if (existing.length > 0) {
    // --overwrite: the old run goes before the new one starts (never a mix of both).
    try {
      await rm(runDir, { recursive: true, force: true });
    } catch (cause) {
      throw ioError(runDir, cause, "remove the old run directory (--overwrite)");
    }
  }
  await mkdir(runDir, { recursive: true });
  const trainPath = join(runDir, "train.jsonl");
  const evalPath = join(runDir, "eval.jsonl");
  const configPath = join(runDir, "trainer-config.json");
  await writeLines(trainPath, trainRows);
  await writeLines(evalPath, evalExamples);
  const config = trainerConfig(settings, { train: trainPath, eval: evalPath, runDir }, debugOrder);
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, logPath: join(runDir, "trainer.log") };
}

/** The ArrangeError of a trainer that reported an error, failed, was killed or ended without finishing. */
function checkTrainerEnd(exit: Exit, fold: TrainFold, logPath: string): void {
  const errorEvent = fold.error;
  if (errorEvent !== undefined) {
    throw new ArrangeError(
      errorEvent.kind === "config" ? "usage" : "trainer",
      `the trainer stopped: ${errorEvent.message}`,
      {
        file: errorEvent.kind === "config" ? undefined : logPath,
        fix:
          errorEvent.kind === "config"
            ? "change the option named in the message"
            : `see the full log in ${logPath}`,
      },
    );
  }
  if (exit.error !== undefined) throw exit.error;
  if (exit.code !== 0 || fold.done === undefined || fold.start === undefined) {
    const how =
      exit.signal !== null
        ? `was killed by ${exit.signal}`
        : exit.code !== 0
          ? `exited with status ${exit.code}`
          : "ended without finishing";
    throw new ArrangeError(
      "trainer",
      `the trainer ${how}${exit.tail === "" ? "" : `; its log ends with:\n${exit.tail}`}`,
      {
        file: logPath,
        fix:
          exit.signal === "SIGKILL"
            ? "it may have run out of memory: lower --batch-size or --max-length, or raise --grad-accum"
            : `see the full log in ${logPath}`,
      },
    );
  }
}

/**
 * Train on `data` in exactly its order and evaluate on `eval` every `evalEvery` steps with the Python
 * backend; writes RUN_DIR/curves.json and run.json. Every failure is an ArrangeError naming the log file.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const settings = resolveSettings(options);
  const onProgress = options.onProgress ?? noProgress;
  const runDir = resolve(options.out);
  const label = options.label ?? basename(runDir);
  const existing = await checkRunDirectory(options, runDir);
  const { trainRows, evalSample, steps } = await readTrainingSets(options, settings);
  const evalExamples = evalSample.items;
  const python = await findTrainerPython(options.python, settings);
  const { configPath, logPath } = await prepareRunDirectory(
    runDir,
    existing,
    trainRows,
    evalExamples,
    settings,
    options.debugOrder === true,
  );

  const ctx: FoldContext = {
    evalExamples,
    evalIndices: evalSample.indices,
    steps,
    stemmer: settings.stemmer,
    logPath,
  };
  let fold = EMPTY_FOLD;
  const handle = (event: TrainerEvent) => {
    options.onEvent?.(event);
    const next = foldTrainerEvent(fold, event, ctx);
    fold = next.fold;
    for (const p of next.progress) onProgress(p);
  };
  const exit = await runTrainer(python, configPath, logPath, settings, runDir, handle);
  checkTrainerEnd(exit, fold, logPath);
  const start = fold.start!;
  const done = fold.done!;

  const curves: TrainCurves = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "train-curves",
    label,
    batchSize: settings.batchSize,
    evalEvery: settings.evalEvery,
    model: start.model,
    seed: settings.seed,
    steps,
    trainExamples: trainRows.length,
    testExamples: evalExamples.length,
    maxLength: start.maxLength,
    points: [...fold.points],
  };
  const curvesPath = join(runDir, "curves.json");
  await writeJson(curvesPath, curves);
  if (fold.generations.length > 0)
    await writeText(join(runDir, "generations.jsonl"), `${fold.generations.join("\n")}\n`);
  const seconds = (performance.now() - t0) / 1000;
  const unfit = [...fold.unfit];
  await writeJson(join(runDir, "run.json"), {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "train-run",
    data: resolve(options.data),
    eval: resolve(options.eval),
    testSample: settings.evalMaxExamples === null ? null : evalSample.indices,
    settings,
    python,
    trainer: start,
    unfit,
    timings: { seconds, trainSeconds: done.trainSeconds, stepsPerSecond: done.stepsPerSecond },
  });
  return {
    runDir,
    curvesPath,
    curves,
    python,
    start,
    unfit,
    trainSeconds: done.trainSeconds,
    stepsPerSecond: done.stepsPerSecond,
    seconds,
    order: fold.order as number[][],
  };
}

/** The entries of `dir`, or none when it does not exist; a file there is an error naming it. */
async function existingEntries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    if (code === "ENOTDIR")
      throw new ArrangeError("usage", "the run directory is a file", {
        file: dir,
        option: "--out-dir",
        fix: "pass a directory path for --out-dir",
      });
    throw ioError(dir, cause, "read the run directory");
  }
}

/** A prepared training line: an instruction example, or a text of --objective lm. */
type TrainRow = TrainExample | { text: string };

async function writeLines(path: string, rows: readonly TrainRow[]): Promise<void> {
  await writeText(
    path,
    rows
      .map(
        (r) =>
          `${JSON.stringify("text" in r ? { text: r.text } : { instruction: r.instruction, answer: r.answer, task: r.task })}\n`,
      )
      .join(""),
  );
}

async function writeText(path: string, text: string): Promise<void> {
  await atomicWrite(path, (fh) => writeAll(fh, Buffer.from(text, "utf8")));
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeText(path, `${JSON.stringify(value, null, 2)}\n`);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string;
  error?: unknown;
}

/** A free TCP port on the loopback interface (the rendezvous of multi-process runs). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Runs the trainer, feeding each stdout line of rank 0 to `handle`; stderr (every rank) goes to the log.
 * With nproc > 1 it starts the ranks itself with torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR,
 * ...): Debian's torchrun 1.13 fails on Python 3.11 before starting any worker.
 */
async function runTrainer(
  python: PythonInfo,
  configPath: string,
  logPath: string,
  settings: TrainSettings,
  cwd: string,
  handle: (e: TrainerEvent) => void,
): Promise<Exit> {
  const args = ["-m", "instruct_trainer", configPath];
  const base = trainerEnvironment();
  if (settings.threads !== null) base.OMP_NUM_THREADS = String(settings.threads);
  const world = settings.nproc;
  const port = world > 1 ? await freePort() : 0;
  return new Promise<Exit>((resolvePromise) => {
    const log = createWriteStream(logPath);
    const tail: string[] = [];
    let failure: unknown;
    const children: ChildProcess[] = [];
    const stopAll = () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    };
    // SIGINT/SIGTERM of the CLI stop the trainer too (it would run on, orphaned, writing into the run dir).
    const offSignal = onSignalExit(stopAll);
    // A log that cannot be written (a full disk) fails the run instead of crashing the process.
    log.on("error", (e) => {
      failure ??= ioError(logPath, e, "write the trainer log");
      stopAll();
    });
    const lines = new LineSplitter();
    let lineNo = 0;
    const feed = (text: string) => {
      if (failure !== undefined) return;
      lineNo++;
      if (text.trim() === "") return;
      try {
        handle(parseEvent(text, lineNo));
      } catch (e) {
        failure =
          e instanceof ProtocolError
            ? new ArrangeError("trainer", e.message, {
                file: logPath,
                fix: "the trainer and the CLI disagree: reinstall instruct-arrange, and report this if it persists",
              })
            : e;
        log.write(`[instruct-arrange] ${(e as Error).message}\n`);
        stopAll();
      }
    };
    const onStderr = (chunk: string) => {
      log.write(chunk);
      for (const l of chunk.split("\n")) if (l.trim() !== "") tail.push(l);
      if (tail.length > 4 * LOG_TAIL_LINES) tail.splice(0, tail.length - LOG_TAIL_LINES);
    };
    let pending = world;
    let result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finishOne = (rank: number, code: number | null, signal: NodeJS.Signals | null) => {
      if (rank === 0) for (const line of lines.end()) feed(line);
      // The first failing rank speaks for the run; the others are stopped.
      if ((code !== 0 || signal !== null) && (result === undefined || result.code === 0)) {
        result = { code, signal };
        stopAll();
      } else if (result === undefined && rank === 0) result = { code, signal };
      pending--;
      if (pending === 0) {
        const r = result ?? { code, signal };
        offSignal();
        log.end(() =>
          resolvePromise({
            code: r.code,
            signal: r.signal,
            tail: tail.slice(-LOG_TAIL_LINES).join("\n"),
            error: failure,
          }),
        );
      }
    };
    for (let rank = 0; rank < world; rank++) {
      const env: NodeJS.ProcessEnv =
        world > 1
          ? {
              ...base,
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              WORLD_SIZE: String(world),
              LOCAL_WORLD_SIZE: String(world),
              MASTER_ADDR: "127.0.0.1",
              MASTER_PORT: String(port),
            }
          : base;
      const child = spawn(python.executable, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        if (rank === 0) for (const line of lines.push(chunk)) feed(line);
        else log.write(chunk);
      });
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", onStderr);
      child.on("error", (e) => {
        failure ??= new ArrangeError("trainer", `could not start ${python.executable}: ${e.message}`, {
          fix: "pass --python PATH of a Python with PyTorch",
        });
      });
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        finishOne(rank, code, signal);
      };
      child.on("close", finish);
      // After a failure the ranks are stopped; a grandchild may still hold their pipes open, so do not
      // wait for those to close.
      child.on("exit", (code, signal) => {
        if (failure === undefined) return;
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      });
    }
  });
}
