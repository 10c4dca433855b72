import { spawnSync } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Snapshot, walkStorePages } from "./cache-pages.js";

/**
 * Integrity checks of the embedding cache's LMDB file before the process maps it: LMDB trusts the file,
 * and a damaged one (random bytes, a truncated copy, a bad page) makes it read through wild pointers and
 * die with SIGSEGV, which no JavaScript code can catch. So a store is opened only after
 *
 *  1. a header check (here, in microseconds): both meta pages (pages 0 and 1) carry the LMDB magic and data
 *     version, a sane page size, and point at root pages inside the file; the file holds every page up to
 *     the last page the newest meta names (a truncated file fails this);
 *  2. a walk over every page the snapshots reach (cache-pages.ts, plain reads of the file): tree pages and
 *     overflow-page headers, which LMDB reads when a run replaces an entry or takes free pages, and which
 *     reading the entries does not reach;
 *  3. a probe in a child process, which opens the store with lmdb and reads every entry: a crash kills
 *     the child, not this process.
 *  Steps 2 and 3 run only when the file is not the one this tool last closed cleanly (size, mtime and
 *  transaction id recorded in `verified.json` beside it), so a healthy cache costs one stat per run.
 *
 * Field offsets follow LMDB's `MDB_page` header (24 bytes on 64-bit builds) and `MDB_meta` in
 * liblmdb/mdb.c (as shipped in the `lmdb` package): magic, version, address, mapsize, two `MDB_db` records
 * of 48 bytes (the first one's md_pad is the page size), mm_last_pg, mm_txnid.
 */

const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const PAGE_HEADER = 24;
const P_META = 0x08;
const DB_RECORD = 48;
const DB_ROOT = 40; // offset of md_root in MDB_db
const DB_DEPTH = 6; // offset of md_depth in MDB_db
const META_DBS = PAGE_HEADER + 24; // after magic, version, address, mapsize
const META_LAST_PAGE = META_DBS + 2 * DB_RECORD;
const META_TXNID = META_LAST_PAGE + 8;
const NO_PAGE = 0xffffffffffffffffn;

export const VERIFIED_FILE = "verified.json";

interface Meta {
  pageSize: number;
  lastPage: bigint;
  txnid: bigint;
  roots: bigint[];
  depths: number[];
}

function readMeta(page: Buffer): Meta | string {
  if ((page.readUInt16LE(18) & P_META) === 0) return "not a meta page";
  if (page.readUInt32LE(PAGE_HEADER) !== MAGIC) return "no LMDB magic number";
  if ((page.readUInt32LE(PAGE_HEADER + 4) & 0xffff) !== DATA_VERSION)
    return `LMDB data version ${page.readUInt32LE(PAGE_HEADER + 4) & 0xffff}, expected ${DATA_VERSION}`;
  return metaFields(page, PAGE_HEADER);
}

/** The fields of an MDB_meta that starts at `at` (after a page header, or lmdb-js's flushed copy). */
function metaFields(page: Buffer, at: number): Meta {
  const dbs = at + META_DBS - PAGE_HEADER;
  const record = [dbs, dbs + DB_RECORD];
  return {
    pageSize: page.readUInt32LE(dbs),
    lastPage: page.readBigUInt64LE(at + META_LAST_PAGE - PAGE_HEADER),
    txnid: page.readBigUInt64LE(at + META_TXNID - PAGE_HEADER),
    roots: record.map((r) => page.readBigUInt64LE(r + DB_ROOT)),
    depths: record.map((r) => page.readUInt16LE(r + DB_DEPTH)),
  };
}

/** The snapshots to walk. */
function snapshotsOf(metas: { name: string; meta: Meta }[]): Snapshot[] {
  return metas.map(({ name, meta }) => ({
    name,
    lastPage: meta.lastPage,
    trees: [
      { name: "free-page tree", root: meta.roots[0]!, depth: meta.depths[0]! },
      { name: "main tree", root: meta.roots[1]!, depth: meta.depths[1]! },
    ],
  }));
}

/** What is wrong with the store file's header, or undefined when it looks sound (or does not exist yet). */
export function checkStoreHeader(dataFile: string): {
  problem?: string;
  txnid?: bigint;
  pageSize?: number;
  snapshots?: Snapshot[];
} {
  let fd: number;
  try {
    fd = openSync(dataFile, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    return { problem: `cannot read it: ${(e as Error).message}` };
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return {}; // created but never written: LMDB initializes it
    const first = Buffer.alloc(512);
    if (readSync(fd, first, 0, first.length, 0) < first.length) return { problem: `only ${size} bytes long` };
    const m0 = readMeta(first);
    if (typeof m0 === "string") return { problem: `meta page 0: ${m0}` };
    const ps = m0.pageSize;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) !== 0) return { problem: `page size ${ps} is not valid` };
    if (size < 2 * ps) return { problem: `truncated: ${size} bytes, less than the two meta pages` };
    const second = Buffer.alloc(512);
    readSync(fd, second, 0, second.length, ps);
    const m1 = readMeta(second);
    if (typeof m1 === "string") return { problem: `meta page 1: ${m1}` };
    const pages = BigInt(Math.floor(size / ps));
    for (const [i, m] of [m0, m1].entries()) {
      if (m.pageSize !== ps) return { problem: `meta page ${i} names page size ${m.pageSize}, page 0 ${ps}` };
      if (m.lastPage + 1n > pages)
        return {
          problem: `truncated: meta page ${i} uses pages up to ${m.lastPage} but the file holds ${pages} pages (${size} bytes)`,
        };
      for (const root of m.roots)
        if (root !== NO_PAGE && (root < 2n || root > m.lastPage))
          return { problem: `meta page ${i} names root page ${root}, outside pages 2..${m.lastPage}` };
    }
    let txnid = m0.txnid;
    if (m1.txnid > txnid) txnid = m1.txnid;
    // Only the newest snapshot, the one LMDB opens: another process writing to the store meanwhile may
    // reuse the pages of older snapshots (and lmdb-js's flushed one), so damage there would be a false alarm.
    const newest =
      m1.txnid > m0.txnid ? { name: "meta page 1", meta: m1 } : { name: "meta page 0", meta: m0 };
    const metas = [newest];
    return { txnid, pageSize: ps, snapshots: snapshotsOf(metas) };
  } finally {
    closeSync(fd);
  }
}

interface Stamp {
  size: number;
  mtimeMs: number;
  txnid: string;
}

function stampOf(dataFile: string, txnid: bigint | undefined): Stamp | undefined {
  try {
    const st = statSync(dataFile);
    return { size: st.size, mtimeMs: st.mtimeMs, txnid: String(txnid ?? "") };
  } catch {
    return undefined;
  }
}

/** Whether the store file is exactly the one recorded after the last clean close. */
async function isVerified(storeDir: string, stamp: Stamp | undefined): Promise<boolean> {
  if (stamp === undefined) return false;
  try {
    const saved = JSON.parse(await readFile(join(storeDir, VERIFIED_FILE), "utf8")) as Stamp;
    return saved.size === stamp.size && saved.mtimeMs === stamp.mtimeMs && saved.txnid === stamp.txnid;
  } catch {
    return false;
  }
}

/** Record the store file as sound (after a clean close); best effort. */
export async function markVerified(storeDir: string): Promise<void> {
  const dataFile = join(storeDir, "data.mdb");
  const { problem, txnid } = checkStoreHeader(dataFile);
  if (problem !== undefined) return;
  const stamp = stampOf(dataFile, txnid);
  if (stamp === undefined) return;
  await writeFile(join(storeDir, VERIFIED_FILE), JSON.stringify(stamp)).catch(() => {});
}

/** The probe script: beside this module once built; from the sources (tests), the built copy. */
const PROBE = [
  fileURLToPath(new URL("./cache-probe.js", import.meta.url)),
  fileURLToPath(new URL("../../dist/src/embed/cache-probe.js", import.meta.url)),
].find((p) => existsSync(p));
/** The probe reads every entry; a large cache takes a while, a hung one is given up on. */
const PROBE_TIMEOUT_MS = 300_000;

/**
 * Whether the store in `storeDir` can be opened safely: undefined when yes, else the problem. A store that
 * does not exist yet is fine.
 */
export async function checkStore(storeDir: string): Promise<string | undefined> {
  const dataFile = join(storeDir, "data.mdb");
  const { problem, txnid, pageSize, snapshots } = checkStoreHeader(dataFile);
  if (problem !== undefined) return problem;
  const stamp = stampOf(dataFile, txnid);
  if (stamp === undefined || stamp.size === 0) return undefined;
  if (await isVerified(storeDir, stamp)) return undefined;
  if (pageSize !== undefined && snapshots !== undefined) {
    let damage: string | undefined;
    try {
      damage = walkStorePages(dataFile, pageSize, snapshots);
      // A process that committed to the store during the walk may have reused pages the walk read: the
      // walk counts only when the newest snapshot is still the one it walked.
      const again = checkStoreHeader(dataFile);
      if (damage !== undefined && again.problem === undefined && again.txnid !== txnid) damage = undefined;
    } catch (e) {
      damage = `cannot read it: ${(e as Error).message}`;
    }
    if (damage !== undefined) return damage;
  }
  if (PROBE === undefined) return undefined;
  const r = spawnSync(process.execPath, [PROBE, storeDir], {
    encoding: "utf8",
    timeout: PROBE_TIMEOUT_MS,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT")
    return `reading it did not finish within ${PROBE_TIMEOUT_MS / 1000} s`;
  if (r.signal !== null) return `reading it crashed (${r.signal})`;
  if (r.status !== 0) return `reading it failed: ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}`;
  return undefined;
}
