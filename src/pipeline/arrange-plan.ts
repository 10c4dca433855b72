import { DEFAULT_MEMORY_LIMIT_BYTES } from "../arrange/resolve-options.js";
import { MATRIX_ENGINE_MAX_BYTES, streamPlan } from "../arrange/tma.js";
import { STORE_BYTES_PER_SLOT, streamTma } from "../arrange/tma-stream.js";
import { usageError } from "../core/errors.js";
import type { Matrix } from "../core/types.js";
import { allocateEmbeddings, type NpyInfo, readNpyInfo, readNpyInto } from "../data/npy.js";
import { readDataset } from "../data/read.js";
import { type DataSource, resolveTrainTest } from "../data/sources.js";
import { createGemm } from "../linalg/create-gemm.js";
import { defaultBlockRows } from "../similarity/block-rows.js";
import { type ArrangeOptions, isRecords } from "./arrange.js";
import { expandEmbeddingPattern } from "./embedding-files.js";

/** One stage of the plan: what it holds in memory, and how long it should take (seconds, when estimated). */
export interface PlanStage {
  stage: string;
  bytes: number;
  seconds?: number;
  note: string;
}

export interface ArrangePlan {
  /** What will be read: data files and embedding files with their sizes. */
  reads: { path: string; bytes: number; what: string }[];
  rows: { train: number; test: number; dims?: number };
  stages: PlanStage[];
  /** Largest memory of any stage plus what lives through the whole run (the embeddings). */
  peakBytes: number;
  /** Sum of the stage estimates that could be made. */
  seconds: number;
  probe?: { rows: number; seconds: number; gflops: number };
  lines: string[];
}

const GiB = 2 ** 30;
const fmt = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
/** Bytes per training row that TMA keeps besides embeddings and candidates (order, rounds, picks, scales, nearest). */
const TMA_ROW_BYTES = 45;
/** Rough bytes per output row of metadata objects held before they are written. */
const METADATA_ROW_BYTES = 320;
/** Training rows the probe runs TMA on. */
const PROBE_ROWS = 20_000;

/**
 * `arrange --dry-run`: reads the data sets (to count rows and tasks) and the embedding files' headers,
 * runs a short probe of the distance pass (the streaming TMA engine on a slice of the training
 * embeddings against the whole test set, or random vectors of the same shapes when there are no
 * embeddings yet), and returns what the run would read, hold and take, without writing anything.
 */
export async function planArrange(options: ArrangeOptions): Promise<ArrangePlan> {
  if (isRecords(options.train) || isRecords(options.test))
    throw usageError("--dry-run plans a run over files; records in memory need no plan", "--dry-run");
  // The same sources a run would read (repeated values, globs, --data/--holdout).
  const sources = await resolveTrainTest(
    options as ArrangeOptions & { train?: DataSource; test?: DataSource },
  );
  const precomputed = options.trainEmbeddings !== undefined && options.testEmbeddings !== undefined;
  const strategy = options.strategy ?? "tma";
  const reads: ArrangePlan["reads"] = [];
  const stages: PlanStage[] = [];
  const rss0 = process.memoryUsage().rss;
  let t0 = performance.now();
  const readOpts = {
    template: options.template,
    taskField: options.taskField,
    skipInvalid: options.skipInvalid,
    texts: !precomputed,
  };
  const train = await readDataset(sources.train, { ...readOpts, label: "train" });
  const test = await readDataset(sources.test, { ...readOpts, label: "test", taskField: undefined });
  const readSeconds = (performance.now() - t0) / 1000;
  for (const [label, ds] of [
    ["train", train],
    ["test", test],
  ] as const)
    for (const f of ds.files)
      reads.push({ path: f.path, bytes: f.bytes, what: `${label} data (${f.format}, ${f.rows} rows)` });
  stages.push({
    stage: "read",
    bytes: Math.max(0, process.memoryUsage().rss - rss0),
    seconds: readSeconds,
    note: `${train.count} train rows (${train.tasks.names.length} tasks), ${test.count} test rows; measured by this dry run`,
  });

  let d = 0;
  let trainInfos: NpyInfo[] = [];
  let testInfos: NpyInfo[] = [];
  if (precomputed) {
    trainInfos = await infos(options.trainEmbeddings!, "--train-embeddings");
    testInfos = await infos(options.testEmbeddings!, "--test-embeddings");
    d = trainInfos[0]!.cols;
    for (const i of [...trainInfos, ...testInfos])
      reads.push({ path: i.path, bytes: i.size, what: `embeddings ${i.rows} × ${i.cols} ${i.dtype}` });
  } else {
    d = options.embedder === "ngram" ? (options.ngramDims ?? 512) : 384;
  }
  const n = train.count;
  const m = test.count;
  const embBytes = 4 * (n + m) * d;
  stages.push({
    stage: precomputed ? "load-embeddings" : "embed",
    bytes: embBytes,
    note: precomputed
      ? `${n} + ${m} rows × ${d} float32 (float16/float64 files are converted to float32), read block by block`
      : `${n + m} texts with ${options.embedder ?? "use-lite"} (${d} dims assumed); not probed — a probe would write the embedding cache`,
  });

  let probe: ArrangePlan["probe"];
  let tmaSeconds: number | undefined;
  const limit =
    options.memoryLimitGiB === undefined ? DEFAULT_MEMORY_LIMIT_BYTES : options.memoryLimitGiB * GiB;
  let tmaBytes = 0;
  let tmaNote = "";
  if (strategy === "tma" && n > 0 && m > 0 && d > 0) {
    const plan = streamPlan(n, m, d, limit);
    const first = Math.min(n, Math.max(64, Math.ceil((32 * n) / m)));
    const store = Math.min(plan.storeBytes, m * first * STORE_BYTES_PER_SLOT);
    tmaBytes = plan.blockBytes + store + TMA_ROW_BYTES * n;
    const matrixBytes = 4 * n * m;
    if (matrixBytes <= Math.min(MATRIX_ENGINE_MAX_BYTES, limit)) {
      tmaBytes = matrixBytes + TMA_ROW_BYTES * n;
      tmaNote = `full-matrix TMA: the n × m distance matrix (${fmt(matrixBytes)}, under ${fmt(MATRIX_ENGINE_MAX_BYTES)}), ${TMA_ROW_BYTES} bytes per training row`;
    } else {
      tmaNote =
        `streaming TMA: one block of ${plan.blockRows} rows (${fmt(plan.blockBytes)}), candidate lists of ${first} rows per test row ` +
        `(${fmt(store)}; they may grow up to ${fmt(plan.storeBytes)} = --memory-limit less the block), ${TMA_ROW_BYTES} bytes per training row`;
    }
    const sample = Math.min(n, PROBE_ROWS);
    const gemm = await createGemm({ engine: options.engine ?? "ort" });
    try {
      const { trainSample, testM } = await probeData(trainInfos, testInfos, sample, m, d);
      t0 = performance.now();
      const r = await streamTma(trainSample, testM, {
        gemm,
        storeBytes: plan.storeBytes,
        blockRows: plan.blockRows,
      });
      const seconds = (performance.now() - t0) / 1000;
      const perDistance = r.run.stats.firstPassSeconds / (sample * m);
      // The first pass scales with n × m; rounds and refills were 0.03–0.2 of a product in bench/tma-stream.
      tmaSeconds = perDistance * n * m * 1.2 + (r.run.stats.roundsSeconds * n) / sample;
      probe = { rows: sample, seconds, gflops: (2 * sample * m * d) / r.run.stats.firstPassSeconds / 1e9 };
    } finally {
      await gemm.dispose();
    }
  } else if (n > 0 && m > 0) {
    tmaBytes = defaultBlockRows(m) * (m + d) * 4 + 16 * n;
    tmaNote = `${strategy}: one block of distances and per-row values`;
  }
  stages.push({
    stage: strategy === "tma" ? "distances+tma" : "arrange",
    bytes: tmaBytes,
    ...(tmaSeconds === undefined ? {} : { seconds: tmaSeconds }),
    note: tmaNote,
  });
  const outRows = options.budget ?? n;
  stages.push({
    stage: "write",
    bytes: options.metadata === undefined ? 8 * outRows : METADATA_ROW_BYTES * outRows,
    seconds: (readSeconds * outRows) / Math.max(1, n),
    note: `${outRows} rows to ${options.out ?? "(no --out)"}${options.metadata ? ` and metadata to ${options.metadata}` : ""}; time assumed like the read`,
  });
  const peakBytes = stages[0]!.bytes + embBytes + Math.max(...stages.slice(2).map((s) => s.bytes));
  const seconds = stages.reduce((a, s) => a + (s.seconds ?? 0), 0);
  const lines: string[] = ["arrange --dry-run: nothing will be written", "reads:"];
  // Each set's files: listed one by one when there are few, else summed.
  const groups = new Map<string, ArrangePlan["reads"]>();
  for (const r of reads) {
    const key = r.what.split(" (")[0]!.replace(/ \d+ × .*/, "");
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [what, rs] of groups) {
    if (rs.length <= 5) for (const r of rs) lines.push(`  ${r.path}  ${fmt(r.bytes)}  ${r.what}`);
    else
      lines.push(
        `  ${what}: ${rs.length} files, ${fmt(rs.reduce((a, r) => a + r.bytes, 0))} (${rs[0]!.path} … ${rs.at(-1)!.path})`,
      );
  }
  lines.push("stages (memory held, time estimate):");
  for (const s of stages)
    lines.push(
      `  ${s.stage.padEnd(16)} ${fmt(s.bytes).padStart(11)}  ${s.seconds === undefined ? "   not estimated" : `${s.seconds.toFixed(1).padStart(8)} s`}  ${s.note}`,
    );
  if (probe)
    lines.push(
      `probe: streaming TMA on ${probe.rows} training rows × ${m} test rows took ${probe.seconds.toFixed(2)} s (${probe.gflops.toFixed(1)} GFLOP/s effective); estimates scale it to ${n} rows`,
    );
  lines.push(
    `peak memory ≈ ${fmt(peakBytes)} (read + embeddings + largest later stage); time ≈ ${seconds.toFixed(0)} s${precomputed ? "" : " plus embedding"}`,
  );
  return {
    reads,
    rows: { train: n, test: m, dims: d },
    stages,
    peakBytes,
    seconds,
    ...(probe ? { probe } : {}),
    lines,
  };
}

async function infos(spec: string, option: string): Promise<NpyInfo[]> {
  const out: NpyInfo[] = [];
  for (const p of await expandEmbeddingPattern(spec, option)) out.push(await readNpyInfo(p));
  return out;
}

/** The probe's inputs: the first rows of the training embeddings and the test embeddings, or random unit vectors. */
async function probeData(
  trainInfos: NpyInfo[],
  testInfos: NpyInfo[],
  rows: number,
  m: number,
  d: number,
): Promise<{ trainSample: Matrix; testM: Matrix }> {
  if (trainInfos.length > 0 && testInfos.length > 0) {
    const first = trainInfos[0]!;
    const take = Math.min(rows, first.rows);
    const data = allocateEmbeddings(take * d, take, d, first.path);
    await readNpyInto({ ...first, rows: take }, data, 0);
    const tm = testInfos.reduce((a, i) => a + i.rows, 0);
    const test = allocateEmbeddings(tm * d, tm, d, testInfos[0]!.path);
    let at = 0;
    for (const i of testInfos) {
      await readNpyInto(i, test, at);
      at += i.rows;
    }
    return { trainSample: { data, rows: take, cols: d }, testM: { data: test, rows: tm, cols: d } };
  }
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const data = Float32Array.from({ length: rows * d }, rand);
  const test = Float32Array.from({ length: m * d }, rand);
  return { trainSample: { data, rows, cols: d }, testM: { data: test, rows: m, cols: d } };
}
