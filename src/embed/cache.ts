import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { type Environment, readSettings } from "../core/settings.js";
import { type KeyValueStore, openStore, type StoreOptions } from "./cache-store.js";
import type { Embedder, EmbedResult } from "./types.js";

/**
 * A persistent embedding cache. An entry's key is sha256(namespace) ‖ sha256(text), where the namespace is
 * the backend's id, version (model, options that change vectors), dims and normalization; its value is one
 * vector with the backend's truncation flag. A batch's new vectors are written in one transaction as soon as
 * the backend returns them, so a killed run leaves whole entries of finished batches only (all but the
 * last few milliseconds of work), and the next run embeds just the rest. `close` waits for every commit.
 *
 * Backends fitted on the corpus (`fit`, i.e. ngram's IDF over train + test) are not cached: their vectors
 * depend on every other text, not on the text alone.
 */

export const CACHE_DIR_ENV = "INSTRUCT_ARRANGE_CACHE_DIR";

/** $INSTRUCT_ARRANGE_CACHE_DIR, else $XDG_CACHE_HOME/instruct-arrange, else ~/.cache/instruct-arrange. */
export function defaultCacheDir(env: Environment = process.env): string {
  const s = readSettings(env);
  if (s.cacheDir !== undefined) return s.cacheDir;
  if (s.xdgCacheHome !== undefined) return join(s.xdgCacheHome, "instruct-arrange");
  return join(homedir(), ".cache", "instruct-arrange");
}

/** What the cache did in a run, for progress and manifests. */
export interface CacheReport {
  /** "on": used; "off": --no-cache; "bypassed": the backend is fitted on the corpus. */
  state: "on" | "off" | "bypassed";
  dir?: string;
  /** Hex sha256 of the namespace (backend id, version, dims, normalization). */
  namespace?: string;
  hits: number;
  misses: number;
  /** Entries that failed their checksum and were computed again (counted in misses too). */
  damaged?: number;
}

/** Entry: format byte, truncation flag, two zero bytes, a 4-byte checksum of the vector bytes, the vector. */
const HEADER_BYTES = 8;
const FORMAT = 2;

/** First 4 bytes of sha256 of the vector bytes: a damaged entry is recomputed, never used. */
function checksum(bytes: Uint8Array): number {
  return createHash("sha256").update(bytes).digest().readUInt32LE(0);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The namespace description hashed into every key of a backend's entries. */
export function namespaceOf(e: Pick<Embedder, "id" | "version" | "dims" | "normalized">): string {
  return JSON.stringify({ id: e.id, version: e.version, dims: e.dims, normalized: e.normalized });
}

function encode(vector: Float32Array, truncated: boolean): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + vector.byteLength);
  out[0] = FORMAT;
  out[1] = truncated ? 1 : 0;
  const bytes = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  out.writeUInt32LE(checksum(bytes), 4);
  bytes.copy(out, HEADER_BYTES);
  return out;
}

/**
 * Decode into `dst` at `at`; not ok when the entry does not have the expected shape (an older format: it is
 * recomputed) or fails its checksum (`damaged`: recomputed and counted).
 */
function decodeInto(
  value: Buffer,
  dims: number,
  dst: Float32Array,
  at: number,
): { ok: boolean; truncated: boolean; damaged?: boolean } {
  if (value.length !== HEADER_BYTES + dims * 4 || value[0] !== FORMAT) return { ok: false, truncated: false };
  const payload = value.subarray(HEADER_BYTES);
  if (checksum(payload) !== value.readUInt32LE(4)) return { ok: false, truncated: false, damaged: true };
  const bytes = new Uint8Array(dst.buffer, dst.byteOffset + at * 4, dims * 4);
  payload.copy(bytes);
  return { ok: true, truncated: value[1] === 1 };
}

export interface EmbeddingCache {
  readonly dir: string;
  /**
   * `embedder` behind the cache (or `embedder` itself, with state "bypassed", when it is fitted on the
   * corpus). `report()` gives the hits and misses so far.
   */
  wrap(embedder: Embedder): CachedEmbedder;
  /** Wait until every write so far is committed (then throw the first failed one, if any). */
  flush(): Promise<void>;
  /** Flush, then close the store. */
  close(): Promise<void>;
}

export interface CachedEmbedder extends Embedder {
  report(): CacheReport;
}

export async function openEmbeddingCache(
  dir: string = defaultCacheDir(),
  options: StoreOptions = {},
): Promise<EmbeddingCache> {
  const store = await openStore(dir, options);
  const writes = new PendingWrites();
  return {
    dir,
    wrap: (embedder) =>
      embedder.fit === undefined ? cached(embedder, store, dir, writes) : bypass(embedder, "bypassed", dir),
    flush: () => writes.settle(),
    close: async () => {
      try {
        await writes.settle();
      } finally {
        await store.close();
      }
    },
  };
}

/**
 * Commits in flight. A batch's vectors go back to the caller while their transaction commits (LMDB
 * groups concurrent commits, so a run does not wait for one disk sync per batch); the first failed write
 * is thrown by the next `embed` call or by `close`.
 */
class PendingWrites {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private failed = false;

  add(p: Promise<void>): void {
    const tracked = p.then(
      () => {
        this.pending.delete(tracked);
      },
      (e: unknown) => {
        this.pending.delete(tracked);
        if (!this.failed) {
          this.failed = true;
          this.failure = e;
        }
      },
    );
    this.pending.add(tracked);
  }

  check(): void {
    if (this.failed) throw this.failure;
  }

  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.check();
  }
}

/** An embedder with the cache off: same interface, report says why. */
export function uncached(embedder: Embedder): CachedEmbedder {
  return bypass(embedder, "off");
}

function bypass(embedder: Embedder, state: "off" | "bypassed", dir?: string): CachedEmbedder {
  let misses = 0;
  const wrapped: CachedEmbedder = Object.create(embedder, {
    embed: {
      value: async (texts: string[]): Promise<EmbedResult> => {
        const r = await embedder.embed(texts);
        misses += texts.length;
        return r;
      },
    },
    report: { value: (): CacheReport => ({ state, dir, hits: 0, misses }) },
  });
  return wrapped;
}

function cached(inner: Embedder, store: KeyValueStore, dir: string, writes: PendingWrites): CachedEmbedder {
  const description = namespaceOf(inner);
  const ns = sha256(description);
  const dims = inner.dims;
  let hits = 0;
  let misses = 0;
  let damaged = 0;
  let described = false;
  const embed = async (texts: string[]): Promise<EmbedResult> => {
    writes.check();
    const keys = texts.map((t) => Buffer.concat([ns, sha256(t)]));
    const found = store.getMany(keys);
    const vectors = new Float32Array(texts.length * dims);
    let truncated = 0;
    const missing: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      const v = found[i];
      const d = v === undefined ? undefined : decodeInto(v, dims, vectors, i * dims);
      if (d?.ok) {
        if (d.truncated) truncated++;
      } else {
        if (d?.damaged) damaged++;
        missing.push(i);
      }
    }
    hits += texts.length - missing.length;
    let tokens: number | undefined;
    let tokenChars: number | undefined;
    if (missing.length > 0) {
      const r = await inner.embed(missing.map((i) => texts[i]!));
      const flags = r.truncatedMask ?? (await truncationFlags(inner, missing, texts, r.truncated));
      const entries: [Buffer, Buffer][] = [];
      for (let k = 0; k < missing.length; k++) {
        const i = missing[k]!;
        const v = r.vectors.subarray(k * dims, (k + 1) * dims);
        vectors.set(v, i * dims);
        entries.push([keys[i]!, encode(v, flags[k] === 1)]);
      }
      truncated += r.truncated;
      if (!described) {
        entries.push([ns, Buffer.from(description, "utf8")]);
        described = true;
      }
      writes.add(store.putAll(entries));
      misses += missing.length;
      tokens = r.tokens;
      tokenChars = r.tokenChars;
      // Let the event loop start the commit now: a backend that computes on this thread without yielding
      // (promises that resolve at once) would otherwise hold every commit back until the run ends, and a
      // killed run would keep nothing. Once started, LMDB commits on its own thread.
      await new Promise<void>((done) => setImmediate(done));
    }
    return { vectors, truncated, tokens, tokenChars };
  };
  const wrapped: CachedEmbedder = Object.create(inner, {
    embed: { value: embed },
    report: {
      value: (): CacheReport => ({
        state: "on",
        dir,
        namespace: ns.toString("hex"),
        hits,
        misses,
        ...(damaged > 0 ? { damaged } : {}),
      }),
    },
  });
  return wrapped;
}

/**
 * Which of the just-embedded texts the backend truncated, for backends that report only a count per batch
 * (no `truncatedMask`): when it is 0 or the batch size the answer is exact, otherwise each text is embedded
 * alone to learn its flag (slow; backends with truncation should return the mask).
 */
async function truncationFlags(
  inner: Embedder,
  missing: readonly number[],
  texts: readonly string[],
  count: number,
): Promise<Uint8Array> {
  const flags = new Uint8Array(missing.length);
  if (count === 0) return flags;
  if (count === missing.length) return flags.fill(1);
  for (let k = 0; k < missing.length; k++)
    flags[k] = (await inner.embed([texts[missing[k]!]!])).truncated > 0 ? 1 : 0;
  return flags;
}
