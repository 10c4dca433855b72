import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/data/npy.js";
import { type EmbeddingServer, serverVector, startEmbeddingServer, unit } from "../embed/embedding-server.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs, startCli } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

/** Run the built CLI without blocking this process (the test's HTTP server must keep answering). */
const cliAsync = (args: string[], env: Record<string, string> = {}) => startCli(args, { env });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;

async function jsonl(path: string, rows: Record<string, unknown>[]): Promise<string> {
  await writeFile(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return path;
}

describe("instruct-arrange embed", () => {
  let dir: string;
  let cacheDir: string;
  let server: EmbeddingServer;
  beforeAll(async () => {
    dir = await tempDir();
    cacheDir = join(dir, "cache");
    server = await startEmbeddingServer({ dims: 16 });
  });
  afterAll(() => server.close());
  const viaHttp = () => [
    "--embedder",
    "http",
    "--endpoint",
    server.url,
    "--model",
    "tiny",
    "--cache-dir",
    cacheDir,
  ];

  it("writes a float32 .npy (row i = input row i) and a sidecar; arrange and analyze accept them", async () => {
    const train = join(dir, "train.npy");
    const test = join(dir, "test.npy");
    for (const [input, out] of [
      [EXAMPLE_TRAIN, train],
      [EXAMPLE_TEST, test],
    ] as const) {
      const r = await cliAsync(["embed", "--input", input, "--out", out, ...viaHttp()]).done;
      expect(r.stderr).toMatch(/embedded \d+ rows with http \(16 dims\)/);
      expect(r.code).toBe(0);
    }
    const m = await readNpy(train);
    expect([m.rows, m.cols]).toEqual([1200, 16]);
    const side = JSON.parse(await readFile(`${train}.json`, "utf8"));
    expect(side).toMatchObject({
      tool: "instruct-arrange",
      kind: "embeddings",
      rows: 1200,
      dims: 16,
      dtype: "float32",
      embedder: { id: "http", dims: 16, normalized: true },
      input: { path: EXAMPLE_TRAIN, skipInvalid: false },
      skipped: { count: 0, rows: [] },
      truncated: 0,
    });
    expect(side.embedder.version).toMatch(/model=tiny/);
    expect(side.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(side.input.textsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(side.input.files.length).toBeGreaterThan(1);

    const out = join(dir, "arranged.jsonl");
    const a = cli(
      arrangeArgs(out, {
        embedder: null,
        extra: ["--train-embeddings", train, "--test-embeddings", test, "--quiet"],
      }),
    );
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, "arranged.manifest.json"), "utf8"));
    expect(manifest.inputs.trainEmbeddings.embedder).toEqual({
      id: "http",
      version: side.embedder.version,
      normalized: true,
    });

    const ok = cli([
      "analyze",
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(dir, "analysis-ok.json"),
      "--train-embeddings",
      train,
      "--test-embeddings",
      test,
      "--quiet",
    ]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);

    const an = cli([
      "analyze",
      "--train",
      out,
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(dir, "analysis.json"),
      "--train-embeddings",
      train,
      "--test-embeddings",
      test,
      "--quiet",
    ]);
    // The arranged file has the same rows in another order: its content differs from what was embedded.
    expect(an.code).toBe(1);
    expect(an.stderr).toContain(train);
    expect(an.stderr).toContain("different content");
    expect(an.stderr).toContain(`instruct-arrange embed --input ${out} --out ${train}`);
  });

  it.skipIf(!hasNumpy)("numpy loads the .npy directly", async () => {
    const out = join(dir, "np.npy");
    expect(cli(["embed", "--input", EXAMPLE_TEST, "--out", out, "--embedder", "ngram", "--quiet"]).code).toBe(
      0,
    );
    const m = await readNpy(out);
    const py = spawnSync(
      "python3",
      [
        "-c",
        "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, repr(float(a[5, :].sum())), repr(float(np.linalg.norm(a[7]))))",
        out,
      ],
      { encoding: "utf8" },
    );
    expect(py.stderr).toBe("");
    let sum = 0;
    for (let d = 0; d < m.cols; d++) sum += m.data[5 * m.cols + d]!;
    const [dtype, r, c, s, n] = py.stdout.trim().replace(/[(),]/g, " ").split(/\s+/);
    expect([dtype, Number(r), Number(c)]).toEqual(["float32", 152, 1024]);
    expect(Number(s)).toBeCloseTo(sum, 4);
    expect(Number(n)).toBeCloseTo(1, 5);
  });

  it("checks rows, content and backend against the data, naming both files and the fix", async () => {
    const train = join(dir, "train.npy");
    const test = join(dir, "test.npy");
    // Swapped files: row counts differ.
    const swapped = cli(
      arrangeArgs(join(dir, "x.jsonl"), {
        embedder: null,
        extra: ["--train-embeddings", test, "--test-embeddings", train],
      }),
    );
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toContain(
      `${test} has 152 rows (embedded from ${EXAMPLE_TEST}) but ${EXAMPLE_TRAIN} has 1200`,
    );
    expect(swapped.stderr).toContain("fix:");

    // Same row count, other content.
    const a = await jsonl(join(dir, "a.jsonl"), [
      { instruction: "one", output: "1" },
      { instruction: "two", output: "2" },
    ]);
    const b = await jsonl(join(dir, "b.jsonl"), [
      { instruction: "uno", output: "1" },
      { instruction: "dos", output: "2" },
    ]);
    const an = join(dir, "a.npy");
    expect(cli(["embed", "--input", a, "--out", an, "--embedder", "ngram", "--quiet"]).code).toBe(0);
    const other = cli(
      arrangeArgs(join(dir, "y.jsonl"), {
        train: b,
        test: a,
        embedder: null,
        extra: ["--train-embeddings", an, "--test-embeddings", an],
      }),
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`${an} was embedded from ${a}`);
    expect(other.stderr).toContain(`but ${b} has different content`);

    // Same data, another template: analyze (which reads the texts) notices.
    const tpl = cli([
      "analyze",
      "--train",
      a,
      "--test",
      a,
      "--overlap",
      "keep",
      "--out",
      join(dir, "an.json"),
      "--train-embeddings",
      an,
      "--test-embeddings",
      an,
      "--template",
      "{output}",
      "--quiet",
    ]);
    expect(tpl.code).toBe(1);
    expect(tpl.stderr).toContain("other texts");
    expect(tpl.stderr).toContain("--template");

    // Embeddings from two different backends are not comparable.
    const bn = join(dir, "a2.npy");
    const made = await cliAsync([
      "embed",
      "--input",
      a,
      "--out",
      bn,
      ...viaHttp(),
      "--dimensions",
      "1024",
      "--quiet",
    ]).done;
    expect(made.code).toBe(0);
    const mixed = cli(
      arrangeArgs(join(dir, "z.jsonl"), {
        train: a,
        test: a,
        embedder: null,
        extra: ["--overlap", "keep", "--train-embeddings", an, "--test-embeddings", bn],
      }),
    );
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain("not comparable");

    // A malformed sidecar is an error naming it.
    await writeFile(`${bn}.json`, "{not json");
    const bad = cli(
      arrangeArgs(join(dir, "z.jsonl"), {
        train: a,
        test: a,
        embedder: null,
        extra: ["--overlap", "keep", "--train-embeddings", an, "--test-embeddings", bn],
      }),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${bn}.json`);
  });

  it("keeps skipped rows as zero rows, listed in the sidecar; arrange --skip-invalid lines them up", async () => {
    const src = join(dir, "skip.jsonl");
    await writeFile(
      src,
      [
        '{"instruction":"first","output":"a"}',
        "{broken",
        '{"instruction":"third","output":"c"}',
        '{"instruction":"fourth","output":"d"}',
      ].join("\n"),
    );
    const out = join(dir, "skip.npy");
    expect(cli(["embed", "--input", src, "--out", out, "--embedder", "ngram"]).code).toBe(1);
    expect(
      cli(["embed", "--input", src, "--out", out, "--embedder", "ngram", "--skip-invalid", "--quiet"]).code,
    ).toBe(0);
    const m = await readNpy(out);
    expect(m.rows).toBe(4);
    expect(Array.from(m.data.subarray(m.cols, 2 * m.cols)).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.data.subarray(2 * m.cols, 3 * m.cols)).some((x) => x !== 0)).toBe(true);
    const side = JSON.parse(await readFile(`${out}.json`, "utf8"));
    expect(side.skipped).toEqual({ count: 1, rows: [1] });
    const r = cli(
      arrangeArgs(join(dir, "skip-out.jsonl"), {
        train: src,
        test: src,
        embedder: null,
        extra: [
          "--overlap",
          "keep",
          "--skip-invalid",
          "--train-embeddings",
          out,
          "--test-embeddings",
          out,
          "--quiet",
        ],
      }),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("rejects an --out that is not .npy, and http flags with another backend", () => {
    const r = cli(["embed", "--input", EXAMPLE_TEST, "--out", join(dir, "x.txt"), "--embedder", "ngram"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--out must name a .npy file");
    const h = cli([
      "embed",
      "--input",
      EXAMPLE_TEST,
      "--out",
      join(dir, "x.npy"),
      "--embedder",
      "ngram",
      "--endpoint",
      "http://x",
    ]);
    expect(h.code).toBe(2);
    expect(h.stderr).toContain("--endpoint applies to --embedder http");
  });

  describe("with --embedder http", () => {
    let input: string;
    const texts = Array.from({ length: 200 }, (_, i) =>
      `question ${i} about ${"topic ".repeat(i % 5)}`.trim(),
    );
    beforeAll(async () => {
      input = await jsonl(
        join(dir, "many.jsonl"),
        texts.map((t) => ({ text: t })),
      );
    });
    const args = (out: string, extra: string[] = []) => [
      "embed",
      "--input",
      input,
      "--out",
      out,
      "--embedder",
      "http",
      "--endpoint",
      server.url,
      "--model",
      "tiny",
      "--batch-size",
      "10",
      "--concurrency",
      "1",
      "--cache-dir",
      cacheDir,
      "--log-json",
      ...extra,
    ];

    it("resumes after kill -9: finished batches come from the cache, the rest from the service, same file", async () => {
      server.delayMs = 100;
      server.answered.length = 0;
      const first = cliAsync(args(join(dir, "killed.npy")), { INSTRUCT_ARRANGE_API_KEY: "secret-key-42" });
      while (server.answered.length < 60) await sleep(10);
      await sleep(40);
      first.child.kill("SIGKILL");
      const r1 = await first.done;
      expect(r1.signal).toBe("SIGKILL");
      const answered1 = server.answered.filter((t) => t !== "dimension probe");
      expect(answered1.length).toBeGreaterThanOrEqual(50);
      expect(answered1.length).toBeLessThan(200);

      server.delayMs = 0;
      server.received.length = 0;
      const second = await cliAsync(args(join(dir, "resumed.npy")), {
        INSTRUCT_ARRANGE_API_KEY: "secret-key-42",
      }).done;
      expect(second.stderr).not.toContain("secret-key-42");
      expect(second.code).toBe(0);
      const sent2 = server.received.filter((t) => t !== "dimension probe");
      // Everything the first run never got back is asked again; of what it got back, at most the batch in
      // the middle of its commit when it died is asked again.
      const unanswered = texts.filter((t) => !answered1.includes(t));
      for (const t of unanswered) expect(sent2).toContain(t);
      expect(sent2.length).toBeLessThanOrEqual(unanswered.length + 10);
      expect(sent2.length).toBeLessThan(200 - 40);
      const cacheLine = second.stderr.split("\n").find((l) => l.includes("embedding cache:"));
      expect(cacheLine).toContain(`${200 - sent2.length} hits, ${sent2.length} computed`);

      // The same file as a run without the cache.
      const plain = await cliAsync([...args(join(dir, "plain.npy")), "--no-cache"]).done;
      expect(plain.code).toBe(0);
      const [x, y] = await Promise.all([
        readFile(join(dir, "resumed.npy")),
        readFile(join(dir, "plain.npy")),
      ]);
      expect(x.equals(y)).toBe(true);
      const [sx, sy] = await Promise.all([
        readFile(join(dir, "resumed.npy.json"), "utf8"),
        readFile(join(dir, "plain.npy.json"), "utf8"),
      ]);
      expect(sx).toBe(sy);
      expect(sx).not.toContain("secret-key-42");
      const m = await readNpy(join(dir, "plain.npy"));
      const want = unit(serverVector(texts[17]!, 16));
      for (let d = 0; d < 16; d++) expect(m.data[17 * 16 + d]).toBeCloseTo(want[d]!, 6);
      const side = JSON.parse(sx);
      expect(side.embedder.id).toBe("http");
      expect(side.embedder.version).toContain("model=tiny");
    });

    it("a third run is served from the cache alone (only the probe reaches the service)", async () => {
      server.received.length = 0;
      const r = await cliAsync(args(join(dir, "third.npy"))).done;
      expect(r.code).toBe(0);
      expect(server.received).toEqual(["dimension probe"]);
    });

    it("fails with the endpoint, status and fix when the service keeps failing", async () => {
      server.faults.push({ status: 503 }, { status: 503 }, { status: 503 });
      const r = await cliAsync([...args(join(dir, "fail.npy")), "--retries", "2", "--no-cache"]).done;
      server.faults.length = 0;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${server.url}/v1/embeddings (model tiny) failed after 3 attempts: HTTP 503`,
      );
      // Under --log-json the final error is a JSON line with its fix.
      const last = JSON.parse(r.stderr.trim().split("\n").at(-1)!) as { event: string; fix?: string };
      expect(last.event).toBe("error");
      expect(last.fix).toBeTruthy();
    });

    it("arrange embeds through the service and records the cache in the manifest", async () => {
      const out = join(dir, "http-arranged.jsonl");
      const r = await cliAsync(
        arrangeArgs(out, {
          train: input,
          test: input,
          embedder: "http",
          extra: [
            "--overlap",
            "keep",
            "--endpoint",
            server.url,
            "--model",
            "tiny",
            "--cache-dir",
            cacheDir,
            "--quiet",
          ],
        }),
      ).done;
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const manifest = JSON.parse(await readFile(join(dir, "http-arranged.manifest.json"), "utf8"));
      expect(manifest.embedder).toMatchObject({
        id: "http",
        dims: 16,
        normalized: true,
        cache: { state: "on", dir: cacheDir, hits: 400, misses: 0 },
      });
    });
  });
});
