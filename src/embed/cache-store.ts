import { mkdir, rename, statfs } from "node:fs/promises";
import { join } from "node:path";
import { ArrangeError } from "../core/errors.js";
import { checkStore, markVerified } from "./cache-check.js";

/**
 * The persistent key-value store under the embedding cache: LMDB (through the `lmdb` package, whose
 * prebuilt binaries come as npm packages). LMDB is a copy-on-write B+tree: a transaction becomes visible
 * only when its commit writes the new root, so a process killed at any moment (kill -9) leaves the last
 * committed state, and the next open needs no recovery step. Several processes may share one store.
 * This is the only file importing `lmdb`; it is loaded only when a cache is used.
 */
export interface KeyValueStore {
  /** Values of `keys` (undefined where absent), read from one snapshot. */
  getMany(keys: readonly Buffer[]): (Buffer | undefined)[];
  /**
   * Write all entries in one transaction; resolves once it is committed. The commit starts on the next turn
   * of the event loop and then proceeds on LMDB's own write thread.
   */
  putAll(entries: readonly (readonly [Buffer, Buffer])[]): Promise<void>;
  close(): Promise<void>;
}

/** Subdirectory of the cache directory holding the embeddings store. */
export const STORE_SUBDIR = "embeddings-v1";

export interface StoreOptions {
  /** Problems that do not stop the run (a damaged store moved aside, a full disk): one line each. */
  onWarning?: (message: string) => void;
}

/**
 * Least free space on the cache's filesystem to open the store. LMDB writes its lock file through a memory
 * map: on a full filesystem touching that page kills the process with SIGBUS, so a store is not opened there.
 */
const MIN_FREE_BYTES = 64 << 10;

/** How long `close` waits for a store whose writes failed (LMDB may never settle them). */
const BROKEN_CLOSE_MS = 2000;

/**
 * Opens the store. A damaged store (see cache-check.ts) is moved aside to `embeddings-v1.damaged-<time>`
 * and a new, empty one is created, with a warning; when even that fails the run goes on without a cache.
 * A write that fails (a full disk, an I/O error) is reported once, and the run goes on without writing
 * to the cache: the vectors are right, only later runs have to compute them again.
 */
export async function openStore(cacheDir: string, options: StoreOptions = {}): Promise<KeyValueStore> {
  const warn = options.onWarning ?? (() => {});
  const path = join(cacheDir, STORE_SUBDIR);
  const fix =
    "pass --cache-dir DIR (a writable directory) or set INSTRUCT_ARRANGE_CACHE_DIR, or run with --no-cache";
  try {
    await mkdir(path, { recursive: true });
  } catch (cause) {
    throw new ArrangeError("io", `cannot create the embedding cache directory: ${String(cause)}`, {
      file: path,
      option: "--cache-dir",
      fix,
      cause,
    });
  }
  const free = await freeBytes(path);
  if (free !== undefined && free < MIN_FREE_BYTES) {
    warn(
      `cannot write to the embedding cache ${path}: its filesystem has only ${free} bytes free; going on without the cache (vectors are computed as usual): free disk space, or ${fix}`,
    );
    return noStore();
  }
  const problem = await checkStore(path);
  if (problem !== undefined) {
    const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      await rename(path, aside);
      await mkdir(path, { recursive: true });
      warn(
        `the embedding cache ${path} is damaged (${problem}); moved it to ${aside} and started an empty cache (delete the old one when you no longer need it)`,
      );
    } catch (cause) {
      warn(
        `the embedding cache ${path} is damaged (${problem}) and cannot be moved aside (${String(cause)}); running without the cache: delete the directory, or pass --cache-dir DIR or --no-cache`,
      );
      return noStore();
    }
  }
  let lmdb: typeof import("lmdb");
  try {
    lmdb = await import("lmdb");
  } catch (cause) {
    throw new ArrangeError("embedder", `cannot load the embedding cache store (lmdb): ${String(cause)}`, {
      option: "--no-cache",
      fix: "reinstall the lmdb package (npm install), or run with --no-cache",
      cause,
    });
  }
  let db: import("lmdb").RootDatabase<Buffer, Buffer>;
  try {
    db = lmdb.open<Buffer, Buffer>({
      path,
      encoding: "binary",
      keyEncoding: "binary",
      compression: false,
      // Each putAll is one transaction already. With event-turn batching lmdb also starts a write of its
      // own whose promise nobody holds: when a commit fails (a full disk) that promise rejects unhandled
      // and ends the process.
      eventTurnBatching: false,
    });
  } catch (cause) {
    throw new ArrangeError("io", `cannot open the embedding cache: ${String(cause)}`, {
      file: path,
      option: "--cache-dir",
      fix,
      cause,
    });
  }
  let broken = false;
  const restoreConsole = silenceLmdbErrors();
  return {
    getMany(keys) {
      return keys.map((k) => db.getBinary(k));
    },
    async putAll(entries) {
      if (entries.length === 0 || broken) return;
      try {
        // batch, not transaction: an async transaction's callback runs only when this thread is idle, so a
        // backend computing on this thread would hold it back; batched puts go to LMDB's write thread as they
        // are, and commit there (in one transaction) while this thread computes.
        await db.batch(() => {
          for (const [k, v] of entries) quiet(db.put(k, v));
        });
      } catch (cause) {
        // lmdb attaches the errno as a second, rejected promise: handle it, or it kills the process.
        const detail = await commitErrorOf(cause);
        if (broken) return;
        broken = true;
        warn(
          `cannot write to the embedding cache ${path} (${detail}); going on without writing to it (vectors are computed as usual): free disk space, or ${fix}`,
        );
      }
    },
    async close() {
      try {
        await closeDb();
      } finally {
        restoreConsole();
      }
    },
  };

  async function closeDb(): Promise<void> {
    if (!broken) {
      await db.close();
      await markVerified(path);
      return;
    }
    // After a failed commit LMDB may never finish closing: do not let that hang the run.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      db.close().catch(() => {}),
      new Promise<void>((resolve) => {
        // Not unref'd: with a close that never settles, the process must still go on to its end.
        timer = setTimeout(resolve, BROKEN_CLOSE_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}

/**
 * lmdb prints a failed commit's error (with its stack) through console.error before rejecting the commit;
 * putAll reports it as one warning line instead. Other console.error output passes through.
 */
function silenceLmdbErrors(): () => void {
  const original = console.error;
  console.error = (...args: unknown[]) => {
    const first = args[0];
    if (args.length === 1 && first instanceof Error && /[\\/]lmdb[\\/]/.test(first.stack ?? "")) return;
    original(...args);
  };
  return () => {
    console.error = original;
  };
}

/** lmdb's put may return a promise that rejects with the commit: the transaction's own promise reports it. */
function quiet(result: unknown): void {
  if (
    result !== null &&
    typeof result === "object" &&
    typeof (result as Promise<unknown>).then === "function"
  )
    (result as Promise<unknown>).then(undefined, () => {});
}

/** The message of a failed lmdb commit, with its `commitError` (a rejected promise) handled. */
async function commitErrorOf(cause: unknown): Promise<string> {
  const inner = (cause as { commitError?: unknown } | null)?.commitError;
  if (inner !== null && typeof inner === "object" && typeof (inner as Promise<unknown>).then === "function") {
    try {
      await inner;
    } catch (e) {
      return String((e as Error)?.message ?? e);
    }
  }
  return String((cause as Error)?.message ?? cause);
}

async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const st = await statfs(path);
    return st.bavail * st.bsize;
  } catch {
    return undefined;
  }
}

/** A store that holds nothing and writes nothing: the run goes on without a cache. */
function noStore(): KeyValueStore {
  return {
    getMany: (keys) => keys.map(() => undefined),
    putAll: async () => {},
    close: async () => {},
  };
}
