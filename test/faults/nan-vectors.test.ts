import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arrangeArgs } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";
import {
  expectCleanFailure,
  expectOnly,
  requireBuiltCli,
  runCli,
  runNode,
  writeRows,
  writeVectors,
} from "./helpers.js";

requireBuiltCli();

// Fault cases N24, N25, N08: NaN/Inf in precomputed vectors, refused by every command that reads vectors
// with the .npy file and its row; diversity never spins.
describe("NaN and Infinity in .npy vectors", () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = await tempDir("fault-nan-");
    out = join(dir, "out");
    await writeRows(join(dir, "train.jsonl"), 40);
    await writeRows(join(dir, "test.jsonl"), 6, "test");
    await writeVectors(join(dir, "train.npy"), 40, 8);
    await writeVectors(join(dir, "test.npy"), 6, 8);
    await writeVectors(join(dir, "nan.npy"), 40, 8, [{ row: 3, col: 2, value: Number.NaN }]);
    await writeVectors(join(dir, "inf.npy"), 40, 8, [{ row: 17, col: 0, value: Number.POSITIVE_INFINITY }]);
    await writeVectors(join(dir, "test-neginf.npy"), 6, 8, [
      { row: 5, col: 7, value: Number.NEGATIVE_INFINITY },
    ]);
    await writeFile(join(dir, "keep.txt"), "");
  });
  const at = (name: string) => join(dir, name);

  it("diversity refuses NaN at once (it used to spin forever), naming the file and row", async () => {
    const r = runCli(
      [
        "diversity",
        "--input",
        at("train.jsonl"),
        "--embeddings",
        at("nan.npy"),
        "--out",
        join(out, "dv.json"),
      ],
      { timeoutMs: 30_000 },
    );
    expectCleanFailure(r, `${at("nan.npy")}:4`);
    expect(r.stderr).toMatch(/row 4 .*NaN/);
  });

  it("diversity refuses Infinity", () => {
    const r = runCli(
      [
        "diversity",
        "--input",
        at("train.jsonl"),
        "--embeddings",
        at("inf.npy"),
        "--out",
        join(out, "dv.json"),
      ],
      { timeoutMs: 30_000 },
    );
    expectCleanFailure(r, `${at("inf.npy")}:18`);
    expect(r.stderr).toContain("Infinity");
  });

  it("analyze refuses NaN in the training vectors and writes nothing (it used to write nulls)", async () => {
    const r = runCli(
      [
        "analyze",
        "--train",
        at("train.jsonl"),
        "--test",
        at("test.jsonl"),
        "--train-embeddings",
        at("nan.npy"),
        "--test-embeddings",
        at("test.npy"),
        "--out",
        join(dir, "an.json"),
      ],
      { timeoutMs: 30_000 },
    );
    expectCleanFailure(r, `${at("nan.npy")}:4`);
  });

  it("analyze refuses -Infinity in the test vectors", () => {
    const r = runCli(
      [
        "analyze",
        "--train",
        at("train.jsonl"),
        "--test",
        at("test.jsonl"),
        "--train-embeddings",
        at("train.npy"),
        "--test-embeddings",
        at("test-neginf.npy"),
        "--out",
        join(dir, "an.json"),
      ],
      { timeoutMs: 30_000 },
    );
    expectCleanFailure(r, `${at("test-neginf.npy")}:6`);
    expect(r.stderr).toContain("-Infinity");
  });

  it("arrange names the .npy file that holds the NaN", () => {
    const r = runCli(
      arrangeArgs(join(out, "a.jsonl"), {
        train: at("train.jsonl"),
        test: at("test.jsonl"),
        metadata: join(out, "a.meta.jsonl"),
        embedder: null,
        extra: ["--train-embeddings", at("nan.npy"), "--test-embeddings", at("test.npy")],
      }),
      { timeoutMs: 30_000 },
    );
    expectCleanFailure(r, `${at("nan.npy")}:4`);
  });

  it("no output of any of these runs exists", async () => {
    const inputs = [
      "inf.npy",
      "keep.txt",
      "nan.npy",
      "test-neginf.npy",
      "test.jsonl",
      "test.npy",
      "train.jsonl",
      "train.npy",
    ];
    // diversity and arrange may create the output directory before reading; it must stay empty.
    await expectOnly(dir, existsSync(out) ? [...inputs, "out"] : inputs);
    if (existsSync(out)) await expectOnly(out, []);
  });

  it("k-means++ seeding on a NaN row stops with an error instead of spinning (guard inside the loop)", () => {
    const src = `
      import { kMeansPlusPlus } from "./dist/src/diversity/kmeans.js";
      import { createRng } from "./dist/src/core/rng.js";
      import { squaredNorms } from "./dist/src/linalg/squared-norms.js";
      import { createGemm } from "./dist/src/linalg/index.js";
      const n = 40, d = 4;
      const x = new Float32Array(n * d).map((_, i) => Math.sin(i));
      x[5 * d + 1] = NaN;
      const gemm = await createGemm({ engine: "ts" });
      try {
        await kMeansPlusPlus(x, n, d, 8, createRng(1).fork("k"), gemm, squaredNorms(x, n, d));
        console.log("RETURNED");
      } catch (e) { console.log("THREW " + e.message); }
    `;
    const r = runNode(src, 20_000);
    expect(r.timedOut, "kMeansPlusPlus spun on a NaN row").toBe(false);
    expect(r.stdout + r.stderr).toMatch(/THREW row 6 .*NaN or Infinity/);
  });
});
