import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Analysis } from "../../src/analyze/types.js";
import { writeNpy } from "../../src/data/npy.js";
import { analyze } from "../../src/pipeline/analyze.js";
import { type DiversityReport, diversity } from "../../src/pipeline/diversity.js";
import type { TrainCurves } from "../../src/report/types.js";

/** Text that would run script if a report pasted it into the page unescaped. */
export const XSS = `</script><img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;

/** Training rows with their task (the `task` field) and 2-d embedding. */
export const TRAIN = [
  { text: `a b a b ${XSS}`, v: [1, 0], task: "alpha_one" },
  { text: "c d", v: [0, 2], task: "beta_one" },
  { text: "a b c", v: [1, 1], task: "alpha_two" },
  { text: "x y z", v: [-1, 0.5], task: "beta_one" },
  { text: "c d & <e>", v: [0, 2], task: "gamma_one" },
];
export const TEST: Record<string, { text: string; v: number[] }[]> = {
  tA: [
    { text: `near a ${XSS}`, v: [2, 0.1] },
    { text: "c d e", v: [0, 1] },
  ],
  "t<b>&c": [{ text: "x y", v: [-1, -1] }],
};

export interface ReportFixture {
  dir: string;
  /** TMA-like order with metadata and a manifest beside the training file. */
  nft: string;
  /** The same rows reversed, no metadata, no manifest. */
  fft: string;
  /** A hand-written `train` run directory (curves.json in the shared format). */
  runDir: string;
  curves: TrainCurves;
  nftAnalysis: Analysis;
  fftAnalysis: Analysis;
  manifest: string;
}

async function writeSet(dir: string, name: string, rows: { text: string; v: number[]; task?: string }[]) {
  const path = join(dir, `${name}.jsonl`);
  await writeFile(path, rows.map((r) => `${JSON.stringify({ text: r.text, task: r.task })}\n`).join(""));
  const npy = join(dir, `${name}.npy`);
  await writeNpy(npy, { data: Float32Array.from(rows.flatMap((r) => r.v)), rows: rows.length, cols: 2 });
  return { path, npy };
}

/** Two small analyses of one training set in two orders, a run's loss curves and an arrange manifest. */
export async function reportFixture(dir: string): Promise<ReportFixture> {
  const testDir = join(dir, "test");
  await mkdir(testDir, { recursive: true });
  for (const [task, rows] of Object.entries(TEST))
    await writeFile(
      join(testDir, `${task}.jsonl`),
      rows.map((r) => `${JSON.stringify({ text: r.text })}\n`).join(""),
    );
  const testNpy = join(dir, "test.npy");
  const testRows = Object.keys(TEST)
    .sort()
    .flatMap((t) => TEST[t]!);
  await writeNpy(testNpy, {
    data: Float32Array.from(testRows.flatMap((r) => r.v)),
    rows: testRows.length,
    cols: 2,
  });

  const nftSet = await writeSet(dir, "nft", TRAIN);
  const fftSet = await writeSet(dir, "fft", [...TRAIN].reverse());
  const meta = join(dir, "nft.meta.jsonl");
  const rounds = [1, 1, 2, 2, 3];
  const values = [-0.9, -0.7, -0.5, -0.4, -0.1];
  await writeFile(
    meta,
    rounds.map((r, i) => `${JSON.stringify({ position: i, round: r, value: values[i] })}\n`).join(""),
  );
  const manifest = join(dir, "nft.manifest.json");
  await writeFile(
    manifest,
    `${JSON.stringify({ tool: "instruct-arrange", version: "0.1.0", options: { strategy: "tma", note: XSS } }, null, 2)}\n`,
  );
  const common = {
    test: testDir,
    testEmbeddings: testNpy,
    batchSize: 1,
    saveSteps: 2,
    engine: "ts" as const,
    taskField: "task",
  };
  const nft = join(dir, "nft.analysis.json");
  const fft = join(dir, "fft.analysis.json");
  const nftAnalysis = await analyze({
    ...common,
    train: nftSet.path,
    trainEmbeddings: nftSet.npy,
    metadata: meta,
    out: nft,
  });
  const fftAnalysis = await analyze({ ...common, train: fftSet.path, trainEmbeddings: fftSet.npy, out: fft });

  const runDir = join(dir, "run-nft");
  await mkdir(runDir, { recursive: true });
  const point = (step: number, trainLoss: number | null, loss: number) => ({
    step,
    examples: step,
    trainLoss,
    test: {
      loss,
      tokenLoss: loss - 0.05,
      perTask: { tA: loss + 0.1, "t<b>&c": loss - 0.1 },
      examples: 3,
      unfit: 0,
    },
  });
  const curves: TrainCurves = {
    tool: "instruct-arrange",
    version: "0.1.0",
    kind: "train-curves",
    label: "nft",
    batchSize: 1,
    evalEvery: 2,
    points: [point(0, null, 3.2), point(2, 2.9, 3.0), point(4, 2.5, 2.7), point(5, 2.4, 2.65)],
  };
  await writeFile(join(runDir, "curves.json"), `${JSON.stringify(curves, null, 2)}\n`);
  return { dir, nft, fft, runDir, curves, nftAnalysis, fftAnalysis, manifest };
}

export interface DiversityFixture {
  /** Diversity JSON of a narrow dataset (near-repeated rows). */
  narrow: string;
  /** Diversity JSON of a broad dataset (varied rows, more tasks). */
  broad: string;
  narrowReport: DiversityReport;
  broadReport: DiversityReport;
}

/** Two small datasets measured by the real `diversity` (ngram embedder, no cache), one narrow, one broad. */
export async function diversityFixture(dir: string): Promise<DiversityFixture> {
  await mkdir(dir, { recursive: true });
  const narrowRows = [
    ...["a b c", "a b c d", "a b c", "a b c e"].map((t) => ({ instruction: t, output: "x", task: "repeat" })),
    ...["q r s", `q r s ${XSS}`, "q r t"].map((t) => ({ instruction: t, output: "y", task: "t<b>&c" })),
  ];
  const broadRows = [
    ...["apple pie", "zebra crossing", "quantum field", "jazz piano", "mountain lake"].map((t) => ({
      instruction: t,
      output: "1",
      task: "spread",
    })),
    ...["red green", "ocean tide", "paper kite", `violin ${XSS}`].map((t) => ({
      instruction: t,
      output: "2",
      task: "t<b>&c",
    })),
    ...["one", "two", "three"].map((t) => ({ instruction: `count ${t}`, output: "3", task: "counting" })),
  ];
  const measure = async (name: string, rows: object[]) => {
    const input = join(dir, `${name}.jsonl`);
    await writeFile(input, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const out = join(dir, `${name}.diversity.json`);
    await diversity({ input, out, embedder: "ngram", cache: false, clusters: 3, engine: "ts" });
    // What the report reads: the file, with its numbers rounded as written.
    return { out, report: JSON.parse(await readFile(out, "utf8")) as DiversityReport };
  };
  const n = await measure("narrow", narrowRows);
  const b = await measure("broad", broadRows);
  return { narrow: n.out, broad: b.out, narrowReport: n.report, broadReport: b.report };
}
