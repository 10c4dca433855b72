import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createRng } from "../src/core/rng.js";
import { FAMILIES, type Family, type Row, TEST_FAMILIES } from "./families.js";

/**
 * The bundled example: a small multi-task instruction dataset, deterministic by seed. 20 task families with
 * 3–4 templates each; 4 families are held out as the test set (task-level split). One alpaca-layout JSONL
 * file per template: `<outDir>/{train,test}/<family>_<template>.jsonl`.
 *
 *   node dist/examples/generate.js [--out DIR] [--seed N]      (defaults: examples/data, seed 1)
 */
export const DEFAULT_SEED = 1;
export const DEFAULT_OUT_DIR = "examples/data";
/** Rows per family: 16 training families × 75 = 1,200 rows; 4 test families × 38 = 152 rows. */
export const TRAIN_ROWS_PER_FAMILY = 75;
export const TEST_ROWS_PER_FAMILY = 38;
/** Redraws allowed to avoid repeating a row within one file (small vocabularies run out). */
const MAX_REDRAWS = 20;

export interface GenerateOptions {
  seed?: number;
  outDir?: string;
}

export interface GeneratedFile {
  /** Path relative to outDir, e.g. "train/sentiment_t1.jsonl". */
  path: string;
  split: "train" | "test";
  family: string;
  template: string;
  rows: number;
}

export interface GenerateResult {
  outDir: string;
  files: GeneratedFile[];
  trainRows: number;
  testRows: number;
}

function templateRows(fam: Family, t: number, count: number, seed: number): Row[] {
  const rng = createRng(seed).fork(fam.name).fork(fam.templates[t]!);
  const rows: Row[] = [];
  const seen = new Set<string>();
  while (rows.length < count) {
    let r = fam.row(rng, t);
    for (let k = 0; k < MAX_REDRAWS && seen.has(JSON.stringify(r)); k++) r = fam.row(rng, t);
    seen.add(JSON.stringify(r));
    rows.push(r);
  }
  return rows;
}

function toJsonl(rows: readonly Row[]): string {
  return rows
    .map((r) => `${JSON.stringify({ instruction: r.instruction, input: r.input, output: r.output })}\n`)
    .join("");
}

/** Write the example dataset; the same seed always gives the same bytes. */
export async function generateExample(options: GenerateOptions = {}): Promise<GenerateResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const files: GeneratedFile[] = [];
  const totals = { train: 0, test: 0 };
  for (const split of ["train", "test"] as const) await mkdir(join(outDir, split), { recursive: true });
  for (const fam of FAMILIES) {
    const split = TEST_FAMILIES.includes(fam.name) ? "test" : "train";
    const perFamily = split === "test" ? TEST_ROWS_PER_FAMILY : TRAIN_ROWS_PER_FAMILY;
    const nt = fam.templates.length;
    for (let t = 0; t < nt; t++) {
      const count = Math.floor(perFamily / nt) + (t < perFamily % nt ? 1 : 0);
      const rows = templateRows(fam, t, count, seed);
      const path = `${split}/${fam.name}_${fam.templates[t]}.jsonl`;
      await writeFile(join(outDir, path), toJsonl(rows));
      files.push({ path, split, family: fam.name, template: fam.templates[t]!, rows: rows.length });
      totals[split] += rows.length;
    }
  }
  return { outDir, files, trainRows: totals.train, testRows: totals.test };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: "string" }, seed: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write("usage: node dist/examples/generate.js [--out DIR] [--seed N]\n");
    return;
  }
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const r = await generateExample({ seed, outDir: values.out });
  process.stderr.write(
    `wrote ${r.files.length} files to ${r.outDir}: ${r.trainRows} training rows, ${r.testRows} test rows (seed ${seed})\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
