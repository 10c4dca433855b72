import { randomBytes } from "node:crypto";
import { cp, open, readdir, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { namespaceOf } from "../../src/embed/cache.js";
import { openStore } from "../../src/embed/cache-store.js";
import { tempDir } from "../helpers/tmp.js";
import { cacheScript, TEXTS } from "./cache-script.js";
import { requireBuiltCli, runCli, runNode, writeRows } from "./helpers.js";

requireBuiltCli();

interface Outcome {
  warnings: string[];
  report: { hits: number; misses: number; damaged?: number };
  computed: number;
  right: boolean;
}

function embedInChild(dir: string): Outcome {
  const r = runNode(cacheScript(dir, TEXTS), 60_000);
  expect(r.timedOut, `hung; stderr: ${r.stderr}`).toBe(false);
  expect(r.signal, `crashed; stderr: ${r.stderr}`).toBeNull();
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Outcome;
}

// Fault cases X04, X06: a damaged data.mdb made the process die with SIGSEGV and print nothing.
describe("a damaged embedding cache is detected, moved aside and rebuilt", () => {
  let good: string;
  beforeAll(async () => {
    good = await tempDir("fault-cache-good-");
    const first = embedInChild(good);
    expect(first).toMatchObject({ warnings: [], computed: 300, right: true });
  });

  async function damaged(how: (file: string) => Promise<void>): Promise<{ dir: string; out: Outcome }> {
    const dir = await tempDir("fault-cache-");
    await cp(good, dir, { recursive: true });
    await how(join(dir, "embeddings-v1", "data.mdb"));
    return { dir, out: embedInChild(dir) };
  }

  async function expectRebuilt(dir: string, out: Outcome, reason: RegExp): Promise<void> {
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/the embedding cache .*embeddings-v1 is damaged/);
    expect(out.warnings[0]).toMatch(reason);
    expect(out.warnings[0]).toMatch(/moved it to .*embeddings-v1\.damaged-/);
    expect(out).toMatchObject({ computed: 300, right: true });
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith("embeddings-v1.damaged-"))).toHaveLength(1);
    // The new cache works: a second run hits every entry.
    expect(embedInChild(dir)).toMatchObject({
      warnings: [],
      computed: 0,
      right: true,
      report: { hits: 300 },
    });
  }

  it("random bytes in place of data.mdb (head -c 20000 /dev/urandom)", async () => {
    const { dir, out } = await damaged((f) => writeFile(f, randomBytes(20000)));
    await expectRebuilt(dir, out, /meta page 0: (not a meta page|no LMDB magic number)/);
  });

  it("a truncated data.mdb", async () => {
    const { dir, out } = await damaged((f) => truncate(f, 3 * 4096 + 100));
    await expectRebuilt(dir, out, /truncated/);
  });

  // Since entries are committed while a run embeds (a killed run keeps its finished batches), a store written
  // in many commits has its first entries' values on overflow pages near the start of the file: random pages
  // there read back as wrong values, and replacing those entries made LMDB free a random number of pages
  // (SIGSEGV). The page walk (cache-pages.ts) checks every overflow page's header before LMDB opens the file.
  it("random pages in the middle of data.mdb (the header is intact: found by the page walk)", async () => {
    const { dir, out } = await damaged(async (f) => {
      const fh = await open(f, "r+");
      await fh.write(randomBytes(4096 * 40), 0, 4096 * 40, 4096 * 2);
      await fh.close();
    });
    await expectRebuilt(dir, out, /(overflow|tree) page \d+ .*is damaged \(its header names page \d+/);
  });

  it("an entry whose bytes changed fails its checksum and is computed again, counted", async () => {
    const dir = await tempDir("fault-cache-");
    await cp(good, dir, { recursive: true });
    const { createHash } = await import("node:crypto");
    const ns = createHash("sha256")
      .update(namespaceOf({ id: "fake", version: "1", dims: 600, normalized: false }))
      .digest();
    const key = Buffer.concat([ns, createHash("sha256").update(TEXTS[7]!).digest()]);
    const store = await openStore(dir);
    const [value] = store.getMany([key]);
    expect(value).toBeDefined();
    const bad = Buffer.from(value!);
    bad[8 + 4 * 3] = 0x7f; // one vector byte flipped, header and length intact
    await store.putAll([[key, bad]]);
    await store.close();
    const out = embedInChild(dir);
    expect(out).toMatchObject({ computed: 1, right: true, report: { hits: 299, misses: 1, damaged: 1 } });
  });

  it("the CLI reproducer: embed with random bytes as data.mdb exits 0 with a warning, never SIGSEGV", async () => {
    const dir = await tempDir("fault-cache-cli-");
    await writeRows(join(dir, "in.jsonl"), 8);
    const cache = join(dir, "cache");
    await cp(good, cache, { recursive: true });
    await writeFile(join(cache, "embeddings-v1", "data.mdb"), randomBytes(20000));
    const r = runCli(
      ["embed", "--input", join(dir, "in.jsonl"), "--out", join(dir, "e.npy"), "--cache-dir", cache],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.timedOut).toBe(false);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the embedding cache .* is damaged .*moved it to/);
    expect((await readdir(dir)).sort()).toEqual(["cache", "e.npy", "e.npy.json", "in.jsonl"]);
  });
});
