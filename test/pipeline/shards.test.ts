import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { readNpy } from "../../src/data/npy.js";
import { readDataset } from "../../src/data/read.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { embedFile, parseShard } from "../../src/pipeline/embed-file.js";
import { embedSet } from "../../src/pipeline/embed-sets.js";
import { expandEmbeddingPattern } from "../../src/pipeline/embedding-files.js";
import { type EmbeddingServer, startEmbeddingServer } from "../embed/embedding-server.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";

describe("embed --shard K/N and shard sets", () => {
  let dir: string;
  let server: EmbeddingServer;
  const http = () => ({
    embedder: "http",
    endpoint: server.url,
    model: "tiny",
    cacheDir: join(dir, "cache"),
  });
  beforeAll(async () => {
    dir = await tempDir();
    server = await startEmbeddingServer({ dims: 16 });
    await embedFile({ ...http(), input: EXAMPLE_TRAIN, out: join(dir, "whole", "train.npy") });
    await embedFile({ ...http(), input: EXAMPLE_TEST, out: join(dir, "whole", "test.npy") });
    for (let k = 1; k <= 3; k++)
      await embedFile({
        ...http(),
        input: EXAMPLE_TRAIN,
        out: join(dir, "shards", `train-${k}.npy`),
        shard: { index: k, count: 3 },
      });
  });
  afterAll(() => server.close());

  /** A fresh copy of the three shards (and sidecars) to break. */
  async function copyShards(name: string): Promise<string> {
    const to = join(dir, name);
    for (let k = 1; k <= 3; k++) {
      await embedFile({
        ...http(),
        input: EXAMPLE_TRAIN,
        out: join(to, `train-${k}.npy`),
        shard: { index: k, count: 3 },
      });
    }
    return to;
  }

  it("shards hold contiguous row ranges and say so in their sidecars; together they equal the whole file", async () => {
    const whole = await readNpy(join(dir, "whole", "train.npy"));
    let at = 0;
    for (let k = 1; k <= 3; k++) {
      const p = join(dir, "shards", `train-${k}.npy`);
      const m = await readNpy(p);
      const side = JSON.parse(await readFile(`${p}.json`, "utf8"));
      expect(side.shard).toEqual({ index: k, count: 3, start: at, end: at + m.rows, totalRows: whole.rows });
      expect(side.embedder.id).toBe("http");
      expect(Array.from(m.data)).toEqual(Array.from(whole.data.subarray(at * 16, (at + m.rows) * 16)));
      at += m.rows;
    }
    expect(at).toBe(1200);
  });

  it("arrange reads a quoted pattern of shards in name order: same result as the whole file", async () => {
    const base = {
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      testEmbeddings: join(dir, "whole", "test.npy"),
      manifest: false as const,
    };
    const a = await arrange({ ...base, trainEmbeddings: join(dir, "whole", "train.npy") });
    const b = await arrange({ ...base, trainEmbeddings: join(dir, "shards", "train-*.npy") });
    expect(b.order).toEqual(a.order);
    expect(b.manifest.inputs.trainEmbeddings?.files?.map((f) => f.shard?.index)).toEqual([1, 2, 3]);
    expect(b.manifest.inputs.trainEmbeddings?.embedder?.id).toBe("http");
  });

  it("diversity/analyze's single-set loader accepts the shard set too", async () => {
    const ds = await readDataset(EXAMPLE_TRAIN, { texts: true });
    const e = await embedSet(ds, { embeddings: join(dir, "shards", "train-?.npy") });
    const whole = await readNpy(join(dir, "whole", "train.npy"));
    expect(Array.from(e.matrix.data)).toEqual(Array.from(whole.data));
  });

  async function failure(trainEmbeddings: string): Promise<ArrangeError> {
    const out = join(dir, "out", "x.jsonl");
    const e = await arrange({
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      out,
      trainEmbeddings,
      testEmbeddings: join(dir, "whole", "test.npy"),
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ArrangeError);
    // Nothing written.
    expect(await listDir(join(dir, "out")).catch(() => [])).toEqual([]);
    return e as ArrangeError;
  }

  it("a missing shard: incomplete, naming the rows and the shard to embed", async () => {
    const d = await copyShards("missing");
    await rm(join(d, "train-2.npy"));
    await rm(join(d, "train-2.npy.json"));
    const e = await failure(join(d, "train-*.npy"));
    expect(e.message).toMatch(/incomplete: input rows 400\.\.799 of 1200 are in no shard \(2 of 3/);
    expect(e.fix).toContain("--shard 2/3");
    expect(e.option).toBe("--train-embeddings");
  });

  it("overlapping shards, mixed backends, and a file without its sidecar are refused naming the file", async () => {
    const d1 = await copyShards("overlap");
    const side2 = join(d1, "train-2.npy.json");
    const s2 = JSON.parse(await readFile(side2, "utf8"));
    s2.shard.start -= 1;
    s2.shard.end -= 1;
    await writeFile(side2, JSON.stringify(s2));
    const e1 = await failure(join(d1, "train-*.npy"));
    expect(e1.message).toContain("overlaps");
    expect(e1.file).toBe(join(d1, "train-2.npy"));

    const d2 = await copyShards("mixed");
    const side3 = join(d2, "train-3.npy.json");
    const s3 = JSON.parse(await readFile(side3, "utf8"));
    s3.embedder.version = "model=other";
    await writeFile(side3, JSON.stringify(s3));
    const e2 = await failure(join(d2, "train-*.npy"));
    expect(e2.message).toContain("mixed backends");
    expect(e2.file).toBe(join(d2, "train-3.npy"));
    expect(e2.fix).toContain("--shard K/3");

    const d3 = await copyShards("nosidecar");
    await rm(join(d3, "train-1.npy.json"));
    const e3 = await failure(join(d3, "train-*.npy"));
    expect(e3.message).toContain("no sidecar");
    expect(e3.file).toBe(join(d3, "train-1.npy"));

    // Shards of different N are not one set.
    const d4 = await copyShards("counts");
    await embedFile({
      ...http(),
      input: EXAMPLE_TRAIN,
      out: join(d4, "train-0.npy"),
      shard: { index: 1, count: 2 },
    });
    const e4 = await failure(join(d4, "train-*.npy"));
    expect(e4.message).toContain("not one set");

    // A single shard alone is an incomplete set.
    const e5 = await failure(join(dir, "shards", "train-1.npy"));
    expect(e5.message).toContain("incomplete");
  });

  it("a pattern that matches nothing, and bad --shard values, are usage errors", async () => {
    await expect(expandEmbeddingPattern(join(dir, "nothing-*.npy"), "--train-embeddings")).rejects.toThrow(
      /matches no file/,
    );
    for (const bad of ["0/3", "4/3", "a/b", "3", "1/0"]) expect(() => parseShard(bad)).toThrow(/--shard/);
    expect(parseShard("2/5")).toEqual({ index: 2, count: 5 });
  });

  it("--shard refuses a backend fitted on its input (ngram)", async () => {
    const e = await embedFile({
      embedder: "ngram",
      input: EXAMPLE_TRAIN,
      out: join(dir, "ng", "x.npy"),
      shard: { index: 1, count: 2 },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ArrangeError);
    expect((e as ArrangeError).option).toBe("--shard");
  });
});
