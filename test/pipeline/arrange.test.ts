import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { writeNpy } from "../../src/data/npy.js";
import { halfToFloat32 } from "../../src/linalg/half.js";
import { arrange } from "../../src/pipeline/arrange.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";
import { randomHalf } from "../linalg/half-helpers.js";

/** Every non-blank line of every .jsonl file of a directory, in sorted file order. */
async function inputLines(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".jsonl")).sort();
  const lines: string[] = [];
  for (const f of files) {
    for (const line of (await readFile(join(dir, f), "utf8")).split("\n"))
      if (line.trim() !== "") lines.push(line);
  }
  return lines;
}

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// A 2-D case small enough to check on paper. Test points: t0 at 0°, t1 at 90°. Training points at
// 10°, 80°, 20°, 45°, 5° (a1 mirrors a0 exactly, so their cosine to their nearest test point ties).
const c10 = Math.cos((10 * Math.PI) / 180);
const s10 = Math.sin((10 * Math.PI) / 180);
const TRAIN_2D = [
  [c10, s10],
  [s10, c10],
  [Math.cos(Math.PI / 9), Math.sin(Math.PI / 9)],
  [Math.SQRT1_2, Math.SQRT1_2],
  [Math.cos(Math.PI / 36), Math.sin(Math.PI / 36)],
];
const TEST_2D = [
  [1, 0],
  [0, 1],
];

async function tinyCase(dir: string) {
  const trainLines = TRAIN_2D.map((_, i) =>
    JSON.stringify({ instruction: `train ${i}`, output: `answer ${i}` }),
  );
  const testLines = TEST_2D.map((_, i) => JSON.stringify({ prompt: `test ${i}`, completion: `c ${i}` }));
  await writeFile(join(dir, "train.jsonl"), `${trainLines.join("\n")}\n`);
  await writeFile(join(dir, "test.jsonl"), `${testLines.join("\n")}\n`);
  await writeNpy(join(dir, "train.npy"), { data: Float32Array.from(TRAIN_2D.flat()), rows: 5, cols: 2 });
  await writeNpy(join(dir, "test.npy"), { data: Float32Array.from(TEST_2D.flat()), rows: 2, cols: 2 });
  return {
    trainLines,
    opts: {
      train: join(dir, "train.jsonl"),
      test: join(dir, "test.jsonl"),
      trainEmbeddings: join(dir, "train.npy"),
      testEmbeddings: join(dir, "test.npy"),
      engine: "ts" as const,
      // The hand-computed orders are the authors' (rows of a TMA round by index); the default shuffles them.
      withinRound: "index" as const,
    },
  };
}

describe("arrange on precomputed embeddings (hand-computed)", () => {
  it("TMA nearest-first: rounds {a1,a4}, {a0,a3}, {a2} with the duplicate pick counted once", async () => {
    const dir = await tempDir();
    const { opts, trainLines } = await tinyCase(dir);
    const out = join(dir, "out.jsonl");
    const meta = join(dir, "meta.jsonl");
    const run = await arrange({ ...opts, out, metadata: meta });
    expect(run.order).toEqual([1, 4, 0, 3, 2]);
    const written = (await readFile(out, "utf8")).split("\n").slice(0, -1);
    expect(written).toEqual([1, 4, 0, 3, 2].map((i) => trainLines[i]));
    const rows = await readJsonl(meta);
    expect(rows.map((r) => r.index)).toEqual([1, 4, 0, 3, 2]);
    expect(rows.map((r) => r.round)).toEqual([1, 1, 2, 2, 3]);
    expect(rows.map((r) => r.picked_by)).toEqual([1, 0, 0, 1, 0]);
    // a3 at 45° is equally far from both test points: the tie goes to the lowest test index.
    expect(rows.map((r) => r.nearest_test)).toEqual([1, 0, 0, 0, 0]);
    expect(rows[0]!.nearest_distance).toBeCloseTo(-c10, 5);
    expect(run.manifest.tma?.roundSizes).toEqual([2, 2, 1]);
    const manifest = JSON.parse(await readFile(join(dir, "out.manifest.json"), "utf8"));
    expect(manifest.counts.output).toBe(5);
    expect(manifest.embedder.id).toBe("precomputed");
    expect(manifest.inputs.train.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("TMA farthest-first reverses the rounds, keeping ascending index inside a round", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    const run = await arrange({ ...opts, order: "farthest-first" });
    expect(run.order).toEqual([2, 0, 3, 1, 4]);
  });

  it("rank by cos-min: ties by ascending index in both directions", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    const nft = await arrange({ ...opts, strategy: "rank", measure: "cos-min" });
    expect(nft.order).toEqual([4, 0, 1, 2, 3]);
    const fft = await arrange({ ...opts, strategy: "rank", measure: "cos-min", order: "farthest-first" });
    expect(fft.order).toEqual([3, 2, 0, 1, 4]);
  });

  it("budget selections are exact: min, max, min+max", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    expect((await arrange({ ...opts, budget: 3, select: "min" })).order).toEqual([1, 4, 0]);
    expect((await arrange({ ...opts, budget: 3, select: "max" })).order).toEqual([0, 3, 2]);
    expect((await arrange({ ...opts, budget: 3, select: "min+max" })).order).toEqual([1, 4, 2]);
  });

  it("a degenerate WSD weight is reported as a warning in the manifest", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    // Both training points are orthogonal to the single test point: mean(MD) = 0, so w cannot be scaled.
    await writeNpy(opts.trainEmbeddings, {
      data: Float32Array.from([1, 0, -1, 0, 1, 0, -1, 0, 1, 0]),
      rows: 5,
      cols: 2,
    });
    await writeNpy(opts.testEmbeddings, { data: Float32Array.from([0, 1, 0, 1]), rows: 2, cols: 2 });
    const run = await arrange({ ...opts, strategy: "rank", measure: "wsd" });
    expect(run.manifest.wsdWeight).toBe(1);
    expect(run.manifest.warnings?.join(" ")).toMatch(/WSD|mean/i);
  });

  it("skip-invalid keeps .npy rows aligned with input rows", async () => {
    const dir = await tempDir();
    const { opts, trainLines } = await tinyCase(dir);
    // Row 2 becomes malformed; its embedding row must be dropped with it.
    const broken = [...trainLines];
    broken[2] = "{not json";
    await writeFile(opts.train, `${broken.join("\n")}\n`);
    const run = await arrange({ ...opts, skipInvalid: true, out: join(dir, "o.jsonl") });
    expect(run.manifest.counts.train.skipped).toBe(1);
    expect(run.manifest.skipped?.[0]?.line).toBe(3);
    // Remaining points 0,1,3,4: round 1 {4 by t0, 1 by t1}, round 2 {0 by t0, 3 by t1}.
    expect(run.order).toEqual([1, 4, 0, 3]);
  });
});

describe("every input format through arrange (precomputed embeddings, hand-computed order)", () => {
  const rows = TRAIN_2D.map((_, i) => ({
    question: `q${i}, "quoted"`,
    answer: `a${i}`,
    category: i % 2 ? "odd" : "even",
  }));

  it("CSV with --template and --task-field keeps the header and original record bytes", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    const records = rows.map((r) => `"${r.question.replace(/"/g, '""')}",${r.answer},${r.category}`);
    await writeFile(join(dir, "train.csv"), `question,answer,category\n${records.join("\n")}\n`);
    // --template applies to both sets; --task-field to the training set only.
    await writeFile(
      join(dir, "test.jsonl"),
      '{"question": "t0", "answer": "x"}\n{"question": "t1", "answer": "y"}\n',
    );
    const out = join(dir, "out.csv");
    const run = await arrange({
      ...opts,
      train: join(dir, "train.csv"),
      out,
      metadata: join(dir, "meta.jsonl"),
      template: "{question} {answer}",
      taskField: "category",
    });
    expect(run.order).toEqual([1, 4, 0, 3, 2]);
    expect(await readFile(out, "utf8")).toBe(
      `question,answer,category\n${[1, 4, 0, 3, 2].map((i) => records[i]).join("\n")}\n`,
    );
    const meta = await readJsonl(join(dir, "meta.jsonl"));
    expect(meta.map((m) => m.task)).toEqual(["odd", "even", "even", "odd", "even"]);
    expect(run.manifest.inputs.train.files[0]!.layout).toBe("template");
  });

  it("JSON array: elements copied byte for byte into a JSON array", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    const elements = rows.map((r) => JSON.stringify({ instruction: r.question, output: r.answer }, null, 1));
    await writeFile(join(dir, "train.json"), `[${elements.join(",")}]`);
    const out = join(dir, "out.json");
    await arrange({ ...opts, train: join(dir, "train.json"), out, order: "farthest-first" });
    const text = await readFile(out, "utf8");
    expect(text).toBe(`[\n${[2, 0, 3, 1, 4].map((i) => elements[i]).join(",\n")}\n]\n`);
    expect((JSON.parse(text) as { instruction: string }[]).map((r) => r.instruction)).toEqual(
      [2, 0, 3, 1, 4].map((i) => rows[i]!.question),
    );
  });

  it("Parquet: rewritten with the same columns in the new order", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "prompt", data: rows.map((r) => r.question) },
        { name: "completion", data: rows.map((r) => r.answer) },
        { name: "id", data: rows.map((_, i) => i), type: "INT32" },
      ],
    });
    await writeFile(join(dir, "train.parquet"), new Uint8Array(buffer));
    const out = join(dir, "out.parquet");
    await arrange({ ...opts, train: join(dir, "train.parquet"), out });
    const back = await parquetReadObjects({ file: toArrayBuffer(await readFile(out)) });
    expect(back.map((r) => r.id)).toEqual([1, 4, 0, 3, 2]);
    expect(back.map((r) => r.prompt)).toEqual([1, 4, 0, 3, 2].map((i) => rows[i]!.question));
  });
});

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

describe("arrange on the bundled example (ngram)", () => {
  it("writes a byte-identical permutation, metadata and manifest; reruns are byte-identical", async () => {
    const dir = await tempDir();
    const lines = await inputLines(EXAMPLE_TRAIN);
    const outs: string[] = [];
    for (const run of ["a", "b"]) {
      const out = join(dir, `${run}.jsonl`);
      await arrange({
        train: EXAMPLE_TRAIN,
        test: EXAMPLE_TEST,
        out,
        metadata: join(dir, `${run}.meta.jsonl`),
        embedder: "ngram",
        seed: 7,
      });
      outs.push(out);
    }
    const a = await readFile(outs[0]!, "utf8");
    const b = await readFile(outs[1]!, "utf8");
    expect(a).toBe(b);
    expect(await readFile(join(dir, "a.meta.jsonl"), "utf8")).toBe(
      await readFile(join(dir, "b.meta.jsonl"), "utf8"),
    );
    const written = a.split("\n").slice(0, -1);
    expect(written.length).toBe(lines.length);
    expect([...written].sort()).toEqual([...lines].sort());
    const meta = await readJsonl(join(dir, "a.meta.jsonl"));
    // metadata index points at the input row whose bytes were written at that position
    for (const [k, m] of meta.entries()) expect(written[k]).toBe(lines[m.index as number]);
    expect(new Set(meta.map((m) => m.index)).size).toBe(lines.length);
    expect(meta.every((m) => typeof m.task === "string" && (m.round as number) >= 1)).toBe(true);
    // rounds are non-decreasing in nearest-first order
    for (let k = 1; k < meta.length; k++)
      expect(meta[k]!.round as number).toBeGreaterThanOrEqual(meta[k - 1]!.round as number);
  });

  it.each([
    ["random", {}],
    ["round-robin", {}],
    ["round-robin", { order: "random" as const }],
    ["cluster", {}],
    ["rank", { measure: "wsd" as const }],
    ["rank", { measure: "euc-centroid" as const, order: "farthest-first" as const }],
    ["rank", { granularity: "task" as const }],
    ["tma", { pick: "farthest" as const, order: "random" as const }],
    ["tma", { granularity: "task" as const }],
  ])("%s %j gives a permutation", async (strategy, extra) => {
    const run = await arrange({
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      embedder: "ngram",
      strategy: strategy as "random",
      ...extra,
    });
    const n = run.manifest.counts.train.read;
    expect(run.order.length).toBe(n);
    expect(new Set(run.order).size).toBe(n);
  });

  it("cluster keeps each task contiguous and round-robin interleaves tasks", async () => {
    const cluster = await arrange({
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      embedder: "ngram",
      strategy: "cluster",
    });
    const tasks = cluster.metadata.map((m) => m.task);
    const seen = new Set<string>();
    for (let k = 0; k < tasks.length; k++) {
      if (k > 0 && tasks[k] !== tasks[k - 1]) {
        expect(seen.has(tasks[k]!)).toBe(false);
      }
      seen.add(tasks[k]!);
    }
    const rr = await arrange({
      train: EXAMPLE_TRAIN,
      test: EXAMPLE_TEST,
      embedder: "ngram",
      strategy: "round-robin",
    });
    const nTasks = rr.manifest.counts.tasks;
    expect(new Set(rr.metadata.slice(0, nTasks).map((m) => m.task)).size).toBe(nTasks);
  });
});

describe("the metadata file", () => {
  it.each([
    ["tma", {}],
    ["tma", { granularity: "task" as const }],
    ["rank", { measure: "wsd" as const }],
    ["random", {}],
    ["tma", { budget: 20, select: "diverse" as const }],
  ])("%s %j: every line is JSON.stringify of the library's metadata row", async (strategy, extra) => {
    const dir = await tempDir();
    // A task (file) name that JSON must escape, so the fast writer's quoting is checked too.
    const data = join(dir, "data");
    await mkdir(data);
    const src = (await readdir(EXAMPLE_TRAIN)).filter((f) => f.endsWith(".jsonl")).sort();
    for (const [k, f] of src.entries())
      await copyFile(join(EXAMPLE_TRAIN, f), join(data, k === 0 ? 'we"ird \\ ü\u2028.jsonl' : f));
    const metadata = join(dir, "meta.jsonl");
    const run = await arrange({
      train: data,
      test: EXAMPLE_TEST,
      out: join(dir, "out.jsonl"),
      metadata,
      embedder: "ngram",
      seed: 3,
      strategy: strategy as "tma",
      ...extra,
    });
    const lines = (await readFile(metadata, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length).toBe(run.metadata.length);
    expect(lines.length).toBeGreaterThan(0);
    for (const [k, line] of lines.entries()) expect(line).toBe(JSON.stringify(run.metadata[k]));
    expect(run.metadata.some((m) => m.task.startsWith('we"ird'))).toBe(true);
  });
});

describe("float16 embeddings", () => {
  it("a float16 .npy arranges exactly as its float32 conversion, on the streaming engine", async () => {
    const dir = await tempDir();
    const n = 2000;
    const m = 20;
    const d = 8;
    const npy16 = (bits: Uint16Array, rows: number) => {
      const header = `{'descr': '<f2', 'fortran_order': False, 'shape': (${rows}, ${d}), }`;
      const text = `${header}${" ".repeat((64 - ((10 + header.length + 1) % 64)) % 64)}\n`;
      const pre = Buffer.alloc(10);
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
      pre.writeUInt16LE(text.length, 8);
      return Buffer.concat([
        pre,
        Buffer.from(text, "latin1"),
        Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength),
      ]);
    };
    const tb = randomHalf(n, d, 5);
    const qb = randomHalf(m, d, 6);
    await writeFile(
      join(dir, "train.jsonl"),
      Array.from({ length: n }, (_, i) => `{"prompt": "p${i}", "completion": "c"}\n`).join(""),
    );
    await writeFile(
      join(dir, "test.jsonl"),
      Array.from({ length: m }, (_, i) => `{"prompt": "q${i}", "completion": "c"}\n`).join(""),
    );
    await writeFile(join(dir, "train16.npy"), npy16(tb, n));
    await writeFile(join(dir, "test16.npy"), npy16(qb, m));
    await writeNpy(join(dir, "train32.npy"), { data: halfToFloat32(tb), rows: n, cols: d });
    await writeNpy(join(dir, "test32.npy"), { data: halfToFloat32(qb), rows: m, cols: d });
    const texts: string[] = [];
    for (const w of ["16", "32"]) {
      const run = await arrange({
        train: join(dir, "train.jsonl"),
        test: join(dir, "test.jsonl"),
        trainEmbeddings: join(dir, `train${w}.npy`),
        testEmbeddings: join(dir, `test${w}.npy`),
        out: join(dir, `out${w}.jsonl`),
        metadata: join(dir, `meta${w}.jsonl`),
        // n × m × 4 bytes is over this limit, so TMA runs on the streaming engine (reading float16 blocks).
        memoryLimitGiB: 1e-4,
      });
      texts.push(
        (await readFile(join(dir, `out${w}.jsonl`), "utf8")) +
          (await readFile(join(dir, `meta${w}.jsonl`), "utf8")),
      );
      if (w === "16") expect(run.manifest.inputs.trainEmbeddings?.files?.[0]?.dtype).toBe("<f2");
    }
    expect(texts[0]).toBe(texts[1]);
  });
});

describe("bad input: clear errors, nothing written", () => {
  async function expectFailure(
    opts: Parameters<typeof arrange>[0],
    match: { code: string; file?: string; line?: number; text?: RegExp },
  ) {
    const dir = opts.out === undefined ? undefined : join(opts.out, "..");
    const before = dir === undefined ? [] : await listDir(dir);
    let error: unknown;
    try {
      await arrange(opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArrangeError);
    const e = error as ArrangeError;
    expect(e.code).toBe(match.code);
    if (match.file !== undefined) expect(e.file).toBe(match.file);
    if (match.line !== undefined) expect(e.line).toBe(match.line);
    if (match.text !== undefined) expect(e.describe()).toMatch(match.text);
    expect(e.describe()).toMatch(/fix:/);
    if (dir !== undefined) expect(await listDir(dir)).toEqual(before);
  }

  it("malformed JSON line names file and line", async () => {
    const dir = await tempDir();
    const train = join(dir, "train.jsonl");
    await writeFile(train, '{"text": "a"}\n{"text": "b"\n');
    await writeFile(join(dir, "test.jsonl"), '{"text": "t"}\n');
    await expectFailure(
      { train, test: join(dir, "test.jsonl"), out: join(dir, "out.jsonl"), embedder: "ngram" },
      { code: "input", file: train, line: 2 },
    );
  });

  it("missing text field", async () => {
    const dir = await tempDir();
    const train = join(dir, "train.jsonl");
    await writeFile(train, '{"instruction": "a", "output": "b"}\n{"instruction": "c"}\n');
    await writeFile(join(dir, "test.jsonl"), '{"text": "t"}\n');
    await expectFailure(
      { train, test: join(dir, "test.jsonl"), out: join(dir, "out.jsonl"), embedder: "ngram" },
      { code: "input", file: train, line: 2 },
    );
  });

  it("empty file and a test set with no rows", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "empty.jsonl"), "");
    await writeFile(join(dir, "blank.jsonl"), "\n  \n");
    await writeFile(join(dir, "ok.jsonl"), '{"text": "t"}\n');
    await expectFailure(
      {
        train: join(dir, "empty.jsonl"),
        test: join(dir, "ok.jsonl"),
        out: join(dir, "out.jsonl"),
        embedder: "ngram",
      },
      { code: "input", file: join(dir, "empty.jsonl") },
    );
    await expectFailure(
      {
        train: join(dir, "ok.jsonl"),
        test: join(dir, "blank.jsonl"),
        out: join(dir, "out.jsonl"),
        embedder: "ngram",
      },
      { code: "input", text: /blank\.jsonl/ },
    );
  });

  it("non-UTF-8 bytes", async () => {
    const dir = await tempDir();
    const train = join(dir, "train.jsonl");
    await writeFile(
      train,
      Buffer.concat([
        Buffer.from('{"text": "ok"}\n{"text": "'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}\n'),
      ]),
    );
    await writeFile(join(dir, "test.jsonl"), '{"text": "t"}\n');
    await expectFailure(
      { train, test: join(dir, "test.jsonl"), out: join(dir, "out.jsonl"), embedder: "ngram" },
      { code: "input", file: train, line: 2, text: /UTF-8/i },
    );
  });

  it("embeddings whose rows or dimensions do not match", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    await writeNpy(join(dir, "short.npy"), { data: new Float32Array(8), rows: 4, cols: 2 });
    await expectFailure(
      { ...opts, trainEmbeddings: join(dir, "short.npy"), out: join(dir, "out.jsonl") },
      { code: "embeddings", file: join(dir, "short.npy"), text: /4 embedding rows but 5 input rows/ },
    );
    await writeNpy(join(dir, "wide.npy"), { data: new Float32Array(6), rows: 2, cols: 3 });
    await expectFailure(
      { ...opts, testEmbeddings: join(dir, "wide.npy"), out: join(dir, "out.jsonl") },
      { code: "embeddings", text: /columns/ },
    );
  });

  it("a budget larger than the data", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    await expectFailure(
      { ...opts, budget: 6, out: join(dir, "out.jsonl") },
      { code: "usage", text: /--budget 5 or less/ },
    );
  });

  it("a --memory-limit too small for one block of TMA distances is refused, nothing written", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    await expectFailure(
      { ...opts, memoryLimitGiB: 1e-9, out: join(dir, "out.jsonl") },
      { code: "usage", text: /--memory-limit .*cannot hold one block.*raise --memory-limit/s },
    );
  });

  it("a failed run keeps an existing output file untouched", async () => {
    const dir = await tempDir();
    const { opts } = await tinyCase(dir);
    const out = join(dir, "out.jsonl");
    await writeFile(out, "previous\n");
    await expect(arrange({ ...opts, budget: 99, out })).rejects.toThrow(ArrangeError);
    expect(await readFile(out, "utf8")).toBe("previous\n");
  });
});
