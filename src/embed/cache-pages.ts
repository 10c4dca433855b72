import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * A walk over every page an LMDB store's snapshots reach, reading the file with bounds-checked reads (no
 * memory map), so that a damaged file gives a message here instead of a SIGSEGV inside LMDB.
 *
 * Why it is needed beyond reading every entry through lmdb: a value larger than half a page lives on
 * overflow pages, and LMDB reads an overflow page's header (its page count) only when the entry is
 * replaced or deleted, to put those pages on the free list. A random page in place of an overflow page
 * reads back as a wrong value (which the cache's checksum catches), but replacing that entry makes LMDB
 * free a random number of pages: the process dies. The same holds for the free-page tree (read by writes
 * only). So the walk checks, for the snapshot LMDB opens (the newest meta page's; the caller passes it):
 *
 *  - each branch and leaf page of the free-page tree and of the main tree: its page number field is its own
 *    number (a page of random bytes fails this with near certainty), its flags say branch or leaf, its
 *    free-space bounds and node offsets lie inside the page, its children lie inside the file;
 *  - each overflow page a leaf names: its header says overflow, names itself and the page count of the leaf
 *    node, which holds the value (a value that shrank may keep its old, larger run of pages);
 *  - no page is reached twice within one snapshot.
 *
 * Layout (the `lmdb` package's liblmdb/mdb.c, LMDB 1.0 format as built by lmdb-js): page header of 24 bytes
 * = page number (u64), txnid (u64), pad (u16), flags (u16), lower/upper (u16 each) or the overflow page
 * count (u32); a node = lo, hi (u16: data size, or with the flags word the child page number of a branch
 * node), flags (u16), key size (u16), key, data; an F_BIGDATA node's data = page number, txnid, page count
 * (u64 each). Page contents the walk does not model (the free-page lists' values) are not interpreted.
 */

const PAGE_HEADER = 24;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_LEAF2 = 0x20;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const NODE_HEADER = 8;
const OVPAGE_BYTES = 24;
const NO_PAGE = 0xffffffffffffffffn;
/** Bytes of the MDB_db record and the offsets in it (md_depth, md_root). */
const DB_BYTES = 48;
const DB_DEPTH = 6;
const DB_ROOT = 40;

/** A tree's root as a meta page (or a sub-database node) names it. */
export interface TreeRoot {
  name: string;
  root: bigint;
  depth: number;
}

/** One snapshot: the free-page tree and the main tree of one meta page, and its last page. */
export interface Snapshot {
  name: string;
  lastPage: bigint;
  trees: TreeRoot[];
}

/** Reads whole pages, or just their headers, with positional reads. */
class PageReader {
  private readonly page: Buffer;
  readonly pages: number;

  constructor(
    private readonly fd: number,
    readonly pageSize: number,
    fileSize: number,
  ) {
    this.pages = Math.floor(fileSize / pageSize);
    this.page = Buffer.alloc(pageSize);
  }

  private readonly head = Buffer.alloc(PAGE_HEADER);

  /** The header of page `pgno` only (an overflow page's contents are the value: its checksum covers them). */
  header(pgno: number): Buffer {
    if (readSync(this.fd, this.head, 0, PAGE_HEADER, pgno * this.pageSize) < PAGE_HEADER)
      throw new PageProblem(`page ${pgno} cannot be read (the file ended)`);
    return this.head;
  }

  /** Page `pgno` (valid until the next read). */
  read(pgno: number): Buffer {
    if (readSync(this.fd, this.page, 0, this.pageSize, pgno * this.pageSize) < this.pageSize)
      throw new PageProblem(`page ${pgno} cannot be read (the file ended)`);
    return this.page;
  }
}

class PageProblem extends Error {}

function ovpages(size: number, pageSize: number): number {
  return Math.floor((PAGE_HEADER - 1 + size) / pageSize) + 1;
}

/**
 * What is wrong with the pages the snapshots reach, or undefined when every reached page is sound.
 * `pageSize` is the one the header check read from meta page 0.
 */
export function walkStorePages(
  dataFile: string,
  pageSize: number,
  snapshots: Snapshot[],
): string | undefined {
  const fd = openSync(dataFile, "r");
  try {
    const reader = new PageReader(fd, pageSize, fstatSync(fd).size);
    const checked: Checked = { tree: new Set(), overflow: new Map() };
    for (const snap of snapshots) {
      const problem = walkSnapshot(reader, snap, checked);
      if (problem !== undefined) return `${snap.name}: ${problem}`;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Pages already found sound in an earlier snapshot (the snapshots share most pages): a tree page's whole
 * subtree was walked then, so it is not walked again; an overflow page, by its page count.
 */
interface Checked {
  tree: Set<number>;
  overflow: Map<number, number>;
}

/** A u64 page number as a number (exact below 2^53; larger ones are outside any file anyway). */
function u64(page: Buffer, at: number): number {
  return page.readUInt32LE(at) + page.readUInt32LE(at + 4) * 0x100000000;
}

function walkSnapshot(reader: PageReader, snap: Snapshot, checked: Checked): string | undefined {
  const ps = reader.pageSize;
  const last = Number(snap.lastPage);
  if (last + 1 > reader.pages) return `uses pages up to ${last} but the file holds ${reader.pages}`;
  const seen = new Uint8Array(last + 1);
  const claim = (pgno: number, count: number, what: () => string): void => {
    for (let p = pgno; p < pgno + count; p++) {
      if (seen[p] === 1) throw new PageProblem(`${what()}: page ${p} is reached twice`);
      seen[p] = 1;
    }
  };
  const inFile = (pgno: number, count: number, what: () => string): number => {
    if (pgno < 2 || pgno + count - 1 > last)
      throw new PageProblem(`${what()} names page ${pgno}, outside pages 2..${last}`);
    return pgno;
  };
  const walked: number[] = [];
  // Overflow pages are checked after the trees, in file order (fewer reads).
  const overflows: { pgno: number; pages: number; size: number; what: string }[] = [];
  const trees = [...snap.trees];
  try {
    while (trees.length > 0) {
      const tree = trees.shift()!;
      if (tree.root === NO_PAGE) continue;
      if (tree.root > BigInt(last))
        return `the ${tree.name} root names page ${tree.root}, outside pages 2..${last}`;
      const stack: { pgno: number; level: number }[] = [
        { pgno: inFile(Number(tree.root), 1, () => `the ${tree.name} root`), level: 1 },
      ];
      while (stack.length > 0) {
        const { pgno, level } = stack.pop()!;
        if (checked.tree.has(pgno)) continue;
        const what = `${tree.name} page ${pgno}`;
        claim(pgno, 1, () => what);
        walked.push(pgno);
        const page = reader.read(pgno);
        const own = u64(page, 0);
        if (own !== pgno) return `${what} is damaged (its header names page ${own})`;
        const flags = page.readUInt16LE(18);
        const lower = page.readUInt16LE(20);
        const upper = page.readUInt16LE(22);
        const kind = flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_LEAF2);
        if (kind !== P_BRANCH && kind !== P_LEAF)
          return `${what} is damaged (flags 0x${flags.toString(16)}, expected a branch or leaf page)`;
        if (lower > upper || PAGE_HEADER + upper > ps || (lower & 1) === 1)
          return `${what} is damaged (free space ${lower}..${upper} does not fit the page)`;
        const keys = lower >> 1;
        if (keys === 0 && kind === P_BRANCH) return `${what} is damaged (a branch page without children)`;
        if (kind === P_BRANCH && level >= tree.depth)
          return `${what} is damaged (a branch page below the tree's depth ${tree.depth})`;
        if (kind === P_LEAF && level !== tree.depth)
          return `${what} is damaged (a leaf page at level ${level} of a tree of depth ${tree.depth})`;
        for (let i = 0; i < keys; i++) {
          const at = PAGE_HEADER + page.readUInt16LE(PAGE_HEADER + 2 * i);
          if (at < PAGE_HEADER + upper || at + NODE_HEADER > ps)
            return `${what} is damaged (node ${i} at offset ${at} lies outside the page's nodes)`;
          const lo = page.readUInt16LE(at);
          const hi = page.readUInt16LE(at + 2);
          const nodeFlags = page.readUInt16LE(at + 4);
          const keySize = page.readUInt16LE(at + 6);
          const dataAt = at + NODE_HEADER + keySize;
          if (dataAt > ps) return `${what} is damaged (node ${i}'s key runs past the page)`;
          if (kind === P_BRANCH) {
            const child = lo + hi * 0x10000 + nodeFlags * 0x100000000;
            stack.push({ pgno: inFile(child, 1, () => `${what} node ${i}`), level: level + 1 });
            continue;
          }
          const size = lo | (hi << 16);
          if ((nodeFlags & F_BIGDATA) !== 0) {
            if (dataAt + OVPAGE_BYTES > ps)
              return `${what} is damaged (node ${i}'s overflow record runs past the page)`;
            const first = u64(page, dataAt);
            const pages = u64(page, dataAt + 16);
            // At least the pages the value needs: LMDB keeps a shrunk value on its old overflow pages.
            if (pages < ovpages(size, ps) || pages > reader.pages)
              return `${what} is damaged (node ${i} names ${pages} overflow pages for ${size} bytes)`;
            overflows.push({ pgno: inFile(first, pages, () => `${what} node ${i}`), pages, size, what });
            continue;
          }
          if (dataAt + size > ps) return `${what} is damaged (node ${i}'s value runs past the page)`;
          if ((nodeFlags & F_DUPDATA) !== 0)
            return `${what} holds duplicate values (a store this tool does not write)`;
          if ((nodeFlags & F_SUBDATA) !== 0) {
            if (size !== DB_BYTES) return `${what} is damaged (node ${i} is a sub-database of ${size} bytes)`;
            trees.push({
              name: `sub-database ${page.subarray(at + NODE_HEADER, dataAt).toString("hex")}`,
              root: page.readBigUInt64LE(dataAt + DB_ROOT),
              depth: page.readUInt16LE(dataAt + DB_DEPTH),
            });
          }
        }
      }
    }
    overflows.sort((a, b) => a.pgno - b.pgno);
    for (const o of overflows) {
      claim(o.pgno, o.pages, () => `${o.what}'s overflow`);
      if (checked.overflow.get(o.pgno) === o.pages) continue;
      const head = reader.header(o.pgno);
      const own = u64(head, 0);
      const flags = head.readUInt16LE(18);
      const count = head.readUInt32LE(20);
      if (own !== o.pgno || (flags & P_OVERFLOW) === 0 || count !== o.pages)
        return `overflow page ${o.pgno} (a value of ${o.size} bytes) is damaged (its header names page ${own}, flags 0x${flags.toString(16)}, ${count} pages)`;
      checked.overflow.set(o.pgno, o.pages);
    }
    // Only now, with the whole snapshot sound: later snapshots skip these pages' subtrees.
    for (const p of walked) checked.tree.add(p);
  } catch (e) {
    if (e instanceof PageProblem) return e.message;
    throw e;
  }
  return undefined;
}
