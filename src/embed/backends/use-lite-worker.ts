import { parentPort, workerData } from "node:worker_threads";
import { isArrangeError } from "../../core/errors.js";
import { createUseLiteEmbedder } from "./use-lite.js";
import type { WorkerReply, WorkerRequest, WorkerSettings } from "./use-lite-pool.js";

/**
 * One thread of the use-lite pool: its own TensorFlow.js WASM runtime and model, embedding the batches the
 * pool sends one at a time with the in-thread embedder, so a batch gives the same vectors on any thread.
 */
const port = parentPort;
if (port === null) throw new Error("use-lite-worker.js runs as a worker thread of the use-lite pool");
const settings = workerData as WorkerSettings;
const embedder = createUseLiteEmbedder({ maxTokens: settings.maxTokens, batchSize: settings.batchSize });

function replyError(id: number, e: unknown): WorkerReply {
  return isArrangeError(e)
    ? { type: "error", id, code: e.code, message: e.message, fix: e.fix, option: e.option }
    : { type: "error", id, code: "embedder", message: e instanceof Error ? e.message : String(e) };
}

port.on("message", (msg: WorkerRequest) => {
  if (msg.type === "close") {
    void embedder.dispose?.().finally(() => port.close());
    return;
  }
  const work =
    msg.type === "load"
      ? embedder.warmUp!().then((): WorkerReply => ({ type: "loaded", id: msg.id }))
      : embedder.embed(msg.texts).then(
          (r): WorkerReply => ({
            type: "result",
            id: msg.id,
            vectors: r.vectors,
            truncated: r.truncated,
            truncatedMask: r.truncatedMask ?? new Uint8Array(msg.texts.length),
            tokens: r.tokens ?? 0,
            tokenChars: r.tokenChars ?? 0,
          }),
        );
  void work.then(
    (reply) => {
      const transfer = reply.type === "result" ? [reply.vectors.buffer, reply.truncatedMask.buffer] : [];
      port.postMessage(reply, transfer as ArrayBuffer[]);
    },
    (e: unknown) => port.postMessage(replyError(msg.id, e)),
  );
});
