/**
 * quantized bench: `minilm --quantized` (onnx/model_quantized.onnx: every linear layer int8, dynamically
 * quantized) against fp32 (onnx/model.onnx) on the MiniLM-shaped random-weight model (6 layers, 384 hidden,
 * 12 heads, 1536 FFN, 30,522 word pieces; both files hold the same weights, built once under --dir by the
 * test fixture), on --n P3 texts at 256 tokens.
 *
 *   node dist/bench/quantized.js [--n 256] [--dir bench/out/quantized] [--slices 2] [--data ../shared/data/p3-t0-train]
 *
 * Speed: the texts are cut into --slices interleaved slices; fp32 and q8 run back to back on each, in
 * alternating order (the machine is shared), and the speed-up is over the totals. Agreement: cosine between
 * the fp32 and the q8 vector of each text (min, 1st percentile, mean); and TMA on both vector sets (every 8th
 * text the test set, the rest training): whether the order is the same, the share of rows at the same place,
 * in the same round, and the Spearman correlation of positions. Random weights are not the trained MiniLM's:
 * the agreement says how much 8-bit rounding moves vectors of this shape, not what it does to the real model.
 */
import { existsSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { arrangeEmbeddings } from "../src/arrange/index.js";
import type { Matrix } from "../src/core/types.js";
import { readDataset } from "../src/data/index.js";
import { createEmbedder, embedAll } from "../src/embed/index.js";
import { MINILM_SHAPE, MINILM_VOCAB_SIZE, writeBertFixture } from "../src/embed/testing/bert-fixture.js";
import { isMain } from "./peak-rss.js";

interface Args {
  n: number;
  dir: string;
  slices: number;
  data: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { n: 256, dir: "bench/out/quantized", slices: 2, data: "../shared/data/p3-t0-train" };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1] ?? "";
    if (k === "--n") a.n = Number(v);
    else if (k === "--dir") a.dir = v;
    else if (k === "--slices") a.slices = Number(v);
    else if (k === "--data") a.data = v;
    else throw new Error(`unknown argument ${k}; expected --n, --dir, --slices, --data`);
  }
  return a;
}

function corpusWords(texts: readonly string[], count: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts)
    for (const w of t.toLowerCase().match(/\p{L}+|\p{N}+/gu) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()]
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, count)
    .map(([w]) => w);
}

function rows(m: Matrix, pick: (i: number) => boolean): Matrix {
  const keep: number[] = [];
  for (let i = 0; i < m.rows; i++) if (pick(i)) keep.push(i);
  const data = new Float32Array(keep.length * m.cols);
  keep.forEach((i, k) => {
    data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  });
  return { data, rows: keep.length, cols: m.cols };
}

export async function benchQuantized(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  if (!existsSync(a.data)) {
    console.log(`quantized: ${a.data} not found, skipped`);
    return;
  }
  const all = (await readDataset(a.data, { texts: true })).texts!;
  const step = Math.max(1, Math.floor(all.length / a.n));
  const texts: string[] = [];
  for (let i = 0; i < all.length && texts.length < a.n; i += step) texts.push(all[i]!);
  const modelDir = resolve(join(a.dir, "minilm-random"));
  if (!existsSync(join(modelDir, "onnx", "model_quantized.onnx"))) {
    const t0 = performance.now();
    await writeBertFixture(modelDir, {
      shape: MINILM_SHAPE,
      words: corpusWords(all, MINILM_VOCAB_SIZE),
      vocabSize: MINILM_VOCAB_SIZE,
      modelMaxLength: 256,
      quantized: true,
    });
    console.log(
      `quantized: built the MiniLM-shaped random model (fp32 + q8) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  console.log(
    `quantized: ${texts.length} P3 texts, 256 tokens max; ${availableParallelism()} cores; load average ${load()}`,
  );
  const fp32 = await createEmbedder("minilm", { modelDir, maxTokens: 256 });
  const q8 = await createEmbedder("minilm", { modelDir, maxTokens: 256, quantized: true });
  await fp32.embed(texts.slice(0, 4));
  await q8.embed(texts.slice(0, 4));
  const dims = fp32.dims;
  const vec = { fp32: new Float32Array(texts.length * dims), q8: new Float32Array(texts.length * dims) };
  const total = { fp32: 0, q8: 0 };
  for (let k = 0; k < a.slices; k++) {
    const idx = texts.map((_, i) => i).filter((i) => i % a.slices === k);
    const slice = idx.map((i) => texts[i]!);
    const order = k % 2 === 0 ? (["fp32", "q8"] as const) : (["q8", "fp32"] as const);
    for (const name of order) {
      const e = name === "fp32" ? fp32 : q8;
      const t0 = performance.now();
      const m = (await embedAll(e, slice)).matrix.data;
      const s = (performance.now() - t0) / 1000;
      total[name] += s;
      idx.forEach((i, j) => {
        vec[name].set(m.subarray(j * dims, (j + 1) * dims), i * dims);
      });
      console.log(`quantized: slice ${k + 1}/${a.slices} (${slice.length} texts): ${name} ${s.toFixed(1)} s`);
    }
  }
  await fp32.dispose?.();
  await q8.dispose?.();
  console.log(
    `quantized: fp32 ${total.fp32.toFixed(1)} s (${(texts.length / total.fp32).toFixed(1)} texts/s), q8 ${total.q8.toFixed(1)} s ` +
      `(${(texts.length / total.q8).toFixed(1)} texts/s): q8 speed-up ${(total.fp32 / total.q8).toFixed(2)}x; load average ${load()}`,
  );

  const cos = texts.map((_, i) => {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += vec.fp32[i * dims + d]! * vec.q8[i * dims + d]!;
    return dot;
  });
  const sorted = [...cos].sort((x, y) => x - y);
  const mean = cos.reduce((s, x) => s + x, 0) / cos.length;
  console.log(
    `quantized: cosine(fp32, q8) per text: min ${sorted[0]!.toFixed(5)}, 1st percentile ${sorted[Math.floor(cos.length / 100)]!.toFixed(5)}, ` +
      `mean ${mean.toFixed(5)}`,
  );

  const isTest = (i: number) => i % 8 === 0;
  const tma = async (v: Float32Array) => {
    const m: Matrix = { data: v, rows: texts.length, cols: dims };
    const train = rows(m, (i) => !isTest(i));
    return arrangeEmbeddings(
      train,
      rows(m, isTest),
      { taskOf: new Int32Array(train.rows), names: ["all"] },
      {
        strategy: "tma",
        seed: 0,
      },
    );
  };
  const r32 = await tma(vec.fp32);
  const r8 = await tma(vec.q8);
  const n = r32.order.length;
  let samePlace = 0;
  const pos32 = new Int32Array(n);
  const pos8 = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    if (r32.order[p] === r8.order[p]) samePlace++;
    pos32[r32.order[p]!] = p;
    pos8[r8.order[p]!] = p;
  }
  const round32 = new Int32Array(n);
  const round8 = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    round32[r32.order[p]!] = r32.round![p]!;
    round8[r8.order[p]!] = r8.round![p]!;
  }
  let sameRound = 0;
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    if (round32[i] === round8[i]) sameRound++;
    d2 += (pos32[i]! - pos8[i]!) ** 2;
  }
  const spearman = 1 - (6 * d2) / (n * (n * n - 1));
  console.log(
    `quantized: TMA (${n} training texts, ${texts.filter((_, i) => isTest(i)).length} test texts): order ${samePlace === n ? "UNCHANGED" : "changed"}; ` +
      `${((100 * samePlace) / n).toFixed(1)}% of rows at the same place, ${((100 * sameRound) / n).toFixed(1)}% in the same round ` +
      `(${r32.roundSizes?.length} vs ${r8.roundSizes?.length} rounds), Spearman of positions ${spearman.toFixed(4)}`,
  );
}

if (isMain(import.meta.url)) {
  benchQuantized(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
