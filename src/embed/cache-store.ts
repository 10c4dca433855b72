import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ArrangeError } from "../core/errors.js";

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

export async function openStore(cacheDir: string): Promise<KeyValueStore> {
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
    });
  } catch (cause) {
    throw new ArrangeError("io", `cannot open the embedding cache: ${String(cause)}`, {
      file: path,
      option: "--cache-dir",
      fix,
      cause,
    });
  }
  return {
    getMany(keys) {
      return keys.map((k) => db.getBinary(k));
    },
    async putAll(entries) {
      if (entries.length === 0) return;
      try {
        // batch, not transaction: an async transaction's callback runs only when this thread is idle, so a
        // backend computing on this thread would hold it back; batched puts go to LMDB's write thread as they
        // are, and commit there (in one transaction) while this thread computes.
        await db.batch(() => {
          for (const [k, v] of entries) db.put(k, v);
        });
      } catch (cause) {
        throw new ArrangeError("io", `cannot write to the embedding cache: ${String(cause)}`, {
          file: path,
          option: "--cache-dir",
          fix: `free disk space, ${fix}`,
          cause,
        });
      }
    },
    async close() {
      await db.close();
    },
  };
}
