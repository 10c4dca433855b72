import { cp, mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { AutoTokenizer } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArrangeError } from "../../src/core/errors.js";
import {
  createTransformersEmbedder,
  meanPoolNormalize,
  tokenBudgetBatches,
} from "../../src/embed/backends/transformers.js";
import { createEmbedder, type Embedder, embedAll, MINILM_MODEL } from "../../src/embed/index.js";
import { writeBertFixture } from "../../src/embed/testing/bert-fixture.js";
import { tempDir } from "../helpers/tmp.js";

const WORDS = ["hello", "world", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away"];
const TEXTS = [
  "Hello world",
  "the cat sat on the mat, and the dog ran far away!",
  "a",
  "",
  "The dog.",
  "cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat",
  "zebra xylophone: unknown words split into characters",
];

let root: string;
let modelDir: string;
let minilm: Embedder;

function row(v: Float32Array, i: number, dims: number): Float32Array {
  return v.subarray(i * dims, (i + 1) * dims);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Run `env` changes for the duration of `fn`, then restore process.env. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A home with empty Hugging Face caches and an endpoint that refuses connections. */
function offlineEnv(home: string): Record<string, string | undefined> {
  return {
    HF_HOME: home,
    HF_HUB_CACHE: undefined,
    HF_ENDPOINT: "http://127.0.0.1:9",
    HF_HUB_OFFLINE: undefined,
    INSTRUCT_ARRANGE_MODEL_DIR: undefined,
  };
}

beforeAll(async () => {
  root = await tempDir("ia-tf-");
  modelDir = join(root, "tiny-bert");
  await writeBertFixture(modelDir, { words: WORDS, seed: 7 });
  minilm = await createEmbedder("minilm", { modelDir });
});

afterAll(async () => {
  await minilm?.dispose?.();
});

describe("transformers backend (minilm through --model-dir, random tiny BERT)", () => {
  it("reports id, version and dims; vectors have unit length", async () => {
    expect(minilm.id).toBe("minilm");
    expect(minilm.dims).toBe(32);
    expect(minilm.normalized).toBe(true);
    expect(minilm.version).toContain(`model=${MINILM_MODEL}`);
    expect(minilm.version).toMatch(/files=[0-9a-f]{16}/);
    expect(minilm.version).toContain("maxTokens=256");
    expect(minilm.version).toContain("pool=mean;l2");
    const r = await minilm.embed(TEXTS);
    expect(r.vectors.length).toBe(TEXTS.length * 32);
    expect(r.truncated).toBe(0);
    for (let i = 0; i < TEXTS.length; i++) {
      const v = row(r.vectors, i, 32);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    // Different texts give different vectors (the model depends on the tokens).
    expect(maxAbsDiff(row(r.vectors, 0, 32), row(r.vectors, 1, 32))).toBeGreaterThan(1e-3);
  });

  it("equals mean pooling + L2 of the ONNX model's raw output, run directly in onnxruntime-node", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
    const session = await ort.InferenceSession.create(join(modelDir, "onnx", "model.onnx"));
    const r = await minilm.embed(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      const ids = tokenizer.encode(TEXTS[i]!);
      const n = ids.length;
      const out = await session.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
        attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
        token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), [1, n]),
      });
      const hidden = out.last_hidden_state!.data as Float32Array;
      const mean = new Float64Array(32);
      for (let t = 0; t < n; t++) for (let d = 0; d < 32; d++) mean[d]! += hidden[t * 32 + d]! / n;
      const norm = Math.hypot(...mean);
      const expected = Array.from(mean, (x) => x / norm);
      expect(maxAbsDiff(row(r.vectors, i, 32), expected)).toBeLessThan(1e-5);
    }
    await session.release();
  });

  it("keeps input order under length sorting, and padding does not change a text's vector", async () => {
    const together = await minilm.embed(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      const alone = await minilm.embed([TEXTS[i]!]);
      expect(maxAbsDiff(row(together.vectors, i, 32), alone.vectors)).toBeLessThan(1e-5);
    }
  });

  it("gives the same vectors whatever the token budget (one text per batch up to all in one)", async () => {
    const small = await createEmbedder("minilm", { modelDir, tokenBudget: 1 });
    try {
      const a = await small.embed(TEXTS);
      const b = await minilm.embed(TEXTS);
      expect(maxAbsDiff(a.vectors, b.vectors)).toBeLessThan(1e-5);
      expect(small.version).toBe(minilm.version);
    } finally {
      await small.dispose?.();
    }
  });

  it("truncates at maxTokens word pieces, special tokens included, and counts truncated texts", async () => {
    // Every word is one word piece, so a text of k words has k + 2 tokens with [CLS] and [SEP].
    const words = (k: number) => Array.from({ length: k }, (_, i) => WORDS[i % WORDS.length]).join(" ");
    const r = await minilm.embed([words(254), words(255), words(400)]);
    expect(r.truncated).toBe(2);
    const cut = await minilm.embed([words(254)]);
    expect(maxAbsDiff(row(r.vectors, 1, 32), cut.vectors)).toBeLessThan(1e-5);
    expect(maxAbsDiff(row(r.vectors, 2, 32), cut.vectors)).toBeLessThan(1e-5);
    // A smaller limit cuts earlier: 10 tokens = 8 words.
    const short = await createEmbedder("minilm", { modelDir, maxTokens: 10 });
    try {
      const s = await short.embed([words(30)]);
      const eight = await minilm.embed([words(8)]);
      expect(s.truncated).toBe(1);
      expect(maxAbsDiff(s.vectors, eight.vectors)).toBeLessThan(1e-5);
      expect(short.version).toContain("maxTokens=10");
    } finally {
      await short.dispose?.();
    }
  });

  it("embedAll passes many texts per call (preferredBatchSize) and keeps input order", async () => {
    expect(minilm.preferredBatchSize).toBeGreaterThan(64);
    const texts = Array.from({ length: 40 }, (_, i) => `${"the cat ".repeat(i % 7)} dog ${i}`);
    const all = await embedAll(minilm, texts);
    expect(all.matrix.rows).toBe(40);
    for (const i of [0, 13, 39]) {
      const alone = await minilm.embed([texts[i]!]);
      expect(maxAbsDiff(row(all.matrix.data, i, 32), alone.vectors)).toBeLessThan(1e-5);
    }
  });

  it("hf:<id> loads the same directory through the same code path, with its own id and token limit", async () => {
    const hf = await createEmbedder("hf:test/tiny-bert", { modelDir });
    try {
      expect(hf.id).toBe("hf:test/tiny-bert");
      // The tokenizer's model_max_length (512) is this model's own limit.
      expect(hf.version).toContain("maxTokens=512");
      const a = await hf.embed(TEXTS);
      const b = await minilm.embed(TEXTS);
      expect(maxAbsDiff(a.vectors, b.vectors)).toBeLessThan(1e-6);
    } finally {
      await hf.dispose?.();
    }
  });

  it("rejects --max-tokens beyond the model's positions and a bad token budget", async () => {
    await expect(createEmbedder("minilm", { modelDir, maxTokens: 100_000 })).rejects.toMatchObject({
      code: "usage",
      option: "--max-tokens",
    });
    await expect(createEmbedder("minilm", { modelDir, tokenBudget: 0 })).rejects.toMatchObject({
      code: "usage",
      option: "--token-budget",
    });
  });
});

describe("where the model comes from", () => {
  it("reads INSTRUCT_ARRANGE_MODEL_DIR when no --model-dir is given", async () => {
    const home = await tempDir("ia-tf-home-");
    const e = await withEnv({ ...offlineEnv(home), INSTRUCT_ARRANGE_MODEL_DIR: modelDir }, () =>
      createEmbedder("minilm"),
    );
    try {
      expect(e.version).toBe(minilm.version);
    } finally {
      await e.dispose?.();
    }
  });

  it("names the missing files of a --model-dir", async () => {
    const dir = join(root, "incomplete");
    await mkdir(dir, { recursive: true });
    await cp(join(modelDir, "config.json"), join(dir, "config.json"));
    const err = (await createEmbedder("minilm", { modelDir: dir }).catch((e: unknown) => e)) as ArrangeError;
    expect(err).toMatchObject({ code: "embedder", option: "--model-dir" });
    expect(err.message).toContain("tokenizer.json, tokenizer_config.json, onnx/model.onnx");
    const q = (await createEmbedder("minilm", { modelDir, quantized: true }).catch(
      (e: unknown) => e,
    )) as ArrangeError;
    expect(q.message).toContain("lacks onnx/model_quantized.onnx");
  });

  it("fails with the exact fix when the model is neither cached nor downloadable", async () => {
    const home = await tempDir("ia-tf-home-");
    const err = (await withEnv(offlineEnv(home), () => createEmbedder("minilm")).catch(
      (e: unknown) => e,
    )) as ArrangeError;
    expect(err).toMatchObject({ code: "embedder", option: "--model-dir" });
    expect(err.message).toContain(`the ${MINILM_MODEL} model is not in the Hugging Face cache`);
    expect(err.message).toContain("downloading it from http://127.0.0.1:9 failed");
    expect(err.fix).toContain(`huggingface-cli download ${MINILM_MODEL}`);
    expect(err.fix).toContain("--model-dir DIR");
    expect(err.fix).toContain("INSTRUCT_ARRANGE_MODEL_DIR=DIR");
    // HF_HUB_OFFLINE: no download is tried at all.
    const off = (await withEnv({ ...offlineEnv(home), HF_HUB_OFFLINE: "1" }, () =>
      createEmbedder("hf:someone/model"),
    ).catch((e: unknown) => e)) as ArrangeError;
    expect(off.message).toContain("HF_HUB_OFFLINE is set");
    expect(off.fix).toContain("huggingface-cli download someone/model");
  });

  it("loads a huggingface-cli download from the hub cache (HF_HOME/hub)", async () => {
    const home = await tempDir("ia-tf-home-");
    const repo = join(home, "hub", "models--test--cached-bert");
    await mkdir(join(repo, "refs"), { recursive: true });
    await writeFile(join(repo, "refs", "main"), "0123abcd\n");
    await cp(modelDir, join(repo, "snapshots", "0123abcd"), { recursive: true });
    const e = await withEnv(offlineEnv(home), () => createEmbedder("hf:test/cached-bert"));
    try {
      const a = await e.embed(TEXTS);
      const b = await minilm.embed(TEXTS);
      expect(maxAbsDiff(a.vectors, b.vectors)).toBeLessThan(1e-6);
    } finally {
      await e.dispose?.();
    }
  });

  it("downloads from HF_ENDPOINT into HF_HOME/transformers.js, then loads from there offline", async () => {
    const home = await tempDir("ia-tf-home-");
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? "");
      const m = /^\/test\/served-bert\/resolve\/main\/(.+)$/.exec(req.url ?? "");
      const file = m?.[1] === undefined ? undefined : join(modelDir, decodeURIComponent(m[1]));
      import("node:fs").then(({ existsSync, readFileSync }) => {
        if (file === undefined || !existsSync(file)) {
          res.writeHead(404).end("not found");
          return;
        }
        const body = readFileSync(file);
        res.writeHead(200, { "content-length": body.length }).end(req.method === "HEAD" ? undefined : body);
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as AddressInfo).port;
    try {
      const env = { ...offlineEnv(home), HF_ENDPOINT: `http://127.0.0.1:${port}` };
      const e = await withEnv(env, () => createEmbedder("hf:test/served-bert"));
      const a = await e.embed(TEXTS);
      await e.dispose?.();
      expect(requests.some((u) => u.endsWith("/onnx/model.onnx"))).toBe(true);
      const b = await minilm.embed(TEXTS);
      expect(maxAbsDiff(a.vectors, b.vectors)).toBeLessThan(1e-6);
      // Second run: from the download cache, with the server gone.
      await new Promise<void>((ok) => server.close(() => ok()));
      const again = await withEnv(env, () =>
        createTransformersEmbedder({ id: "hf:test/served-bert", model: "test/served-bert" }),
      );
      try {
        expect(again.version).toBe(e.version);
      } finally {
        await again.dispose?.();
      }
    } finally {
      server.close();
    }
  });
});

describe("token-budget batching and pooling helpers", () => {
  it("sorts by length, fills each batch up to the budget, and covers every text once", () => {
    const lengths = [5, 12, 3, 12, 7, 1, 9, 2];
    const batches = tokenBudgetBatches(lengths, 24);
    const seen = batches.flatMap((b) => Array.from(b));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(seen).toEqual([1, 3, 6, 4, 0, 2, 7, 5]);
    for (const b of batches) {
      const longest = Math.max(...Array.from(b, (i) => lengths[i]!));
      expect(b.length * longest).toBeLessThanOrEqual(24);
    }
    // Each batch is as full as the budget allows: one more text would not fit.
    expect(batches.map((b) => b.length)).toEqual([2, 2, 4]);
    expect(tokenBudgetBatches([50, 40], 10).map((b) => b.length)).toEqual([1, 1]);
  });

  it("mean-pools over each row's own length and normalizes", () => {
    // 2 rows × 3 positions × 2 dims; row 0 has 2 tokens, row 1 has 3.
    const hidden = Float32Array.from([1, 0, 3, 0, 99, 99, 0, 1, 0, 2, 0, 6]);
    const out = new Float32Array(4);
    meanPoolNormalize(hidden, 2, 3, 2, [2, 3], out, [1, 0]);
    expect(Array.from(out)).toEqual([0, 1, 1, 0]);
  });
});
