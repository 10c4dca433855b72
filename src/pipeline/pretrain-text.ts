import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { usageError } from "../core/errors.js";
import { noProgress, type ProgressSink } from "../core/progress.js";
import { createRng, shuffleInPlace } from "../core/rng.js";
import { atomicWrite, writeAll, writeJsonLines } from "../data/atomic.js";
import { checkOutputPaths, defaultManifestPath } from "../data/outputs.js";
import { type DataSource, sourceLabel, splitHoldout } from "../data/sources.js";
import { gramsIn, gramText, spanKeys, stripTemplate, templateGrams } from "../data/template-wording.js";
import { readExamples, type TrainExample } from "../train/examples.js";
import { runEnvironment, VERSION } from "../version.js";

/** `instruct-arrange pretrain-text`: the plain text of an instruction set's prompts, without its templates. */
export interface PretrainTextOptions {
  /** Instruction data: a file or a directory of one file per task (template). */
  data: string;
  /** JSONL of {"text"} rows to write (the input of `train --objective lm`). */
  out: string;
  /** Task-name prefixes held out of `data` (a directory): the rest is the data, these are the test set. */
  holdout?: string[];
  /** Held-out set: texts sharing a long span with its prompts or answers are dropped; its templates' wording left in the text is counted. */
  test?: string;
  /** Words per template n-gram (default 3). */
  ngram?: number;
  /** An n-gram in at least this share of a task's prompts is template wording (default 0.5). */
  share?: number;
  /** Tasks with fewer rows are left out: their wording cannot be told from their content (default 20). */
  minRows?: number;
  /** Texts of fewer words after stripping are left out (default 5). */
  minWords?: number;
  /** Words of the span that counts as overlap with the held-out set (default 13). */
  overlapSpan?: number;
  /** Seed of the output order (the texts are shuffled, so packed sequences mix tasks). */
  seed?: number;
  taskField?: string;
  skipInvalid?: boolean;
  /** Manifest path (default OUT's name with .manifest.json). */
  manifest?: string;
  onProgress?: ProgressSink;
}

export interface PretrainTextResult {
  out: string;
  manifest: string;
  counts: {
    rows: number;
    tasks: number;
    tasksTooSmall: number;
    rowsOfSmallTasks: number;
    tooShort: number;
    duplicates: number;
    overlapDropped: number;
    texts: number;
    words: number;
    removedWords: number;
  };
  heldOut: null | {
    rows: number;
    tasks: number;
    /** Per held-out task: its template n-grams, and how many output texts hold any of them. */
    byTask: { task: string; templateGrams: number; textsWithAny: number }[];
    /** The held-out template n-grams found in the most output texts. */
    top: { gram: string; texts: number }[];
  };
}

function positive(value: number | undefined, fallback: number, flag: string, integer: boolean): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isSafeInteger(v)))
    throw usageError(
      `${flag} must be a positive ${integer ? "integer" : "number"}, got ${v}`,
      flag,
      `pass e.g. ${flag} ${fallback}`,
    );
  return v;
}

function byTask(examples: readonly TrainExample[]): Map<string, TrainExample[]> {
  const out = new Map<string, TrainExample[]>();
  for (const e of examples) {
    const list = out.get(e.task);
    if (list === undefined) out.set(e.task, [e]);
    else list.push(e);
  }
  return out;
}

/**
 * Plain text for pretraining from instruction data: every task's template wording (the word n-grams in at
 * least `share` of its prompts) is removed from its prompts, the answers are left out, empty and short
 * texts and exact duplicates dropped, and (with `test`) every text sharing an `overlapSpan`-word span with
 * a held-out prompt or answer dropped. The texts are shuffled with the seed and written as {"text"} JSONL,
 * with a manifest of every count.
 */
export async function pretrainText(options: PretrainTextOptions): Promise<PretrainTextResult> {
  const progress = options.onProgress ?? noProgress;
  const n = positive(options.ngram, 3, "--ngram", true);
  const share = positive(options.share, 0.5, "--share", false);
  if (share > 1)
    throw usageError(`--share must be at most 1, got ${share}`, "--share", "pass e.g. --share 0.5");
  const minRows = positive(options.minRows, 20, "--min-rows", true);
  const minWords = positive(options.minWords, 5, "--min-words", true);
  const span = positive(options.overlapSpan, 13, "--overlap-span", true);
  const seed = options.seed ?? 0;
  const manifest = options.manifest ?? defaultManifestPath(options.out);
  await checkOutputPaths(
    [
      { flag: "--data", path: options.data },
      { flag: "--test", path: options.test },
    ],
    [
      {
        flag: "--out",
        path: options.out,
        kind: "file",
        extensions: [".jsonl"],
        extensionFix: "name it e.g. text.jsonl",
      },
      { flag: "--manifest", path: manifest, kind: "file" },
    ],
  );
  const read = (path: DataSource, option: string) =>
    readExamples(path, { option, taskField: options.taskField, skipInvalid: options.skipInvalid });
  let data: DataSource = options.data;
  let testSource: DataSource | undefined = options.test;
  if (options.holdout !== undefined) {
    if (options.test !== undefined)
      throw usageError(
        "give either --test or --data with --holdout, not both",
        "--holdout",
        "drop --test: the held-out tasks of --data are the test set",
      );
    const split = await splitHoldout(options.data, options.holdout);
    data = split.train;
    testSource = split.test;
  }

  progress({ stage: "read", done: 0, unit: "rows", message: `reading ${sourceLabel(data)}` });
  const { examples } = await read(data, "--data");
  const tasks = byTask(examples);
  let tasksTooSmall = 0;
  let rowsOfSmallTasks = 0;
  let tooShort = 0;
  let duplicates = 0;
  let words = 0;
  let removedWords = 0;
  const seen = new Set<string>();
  const texts: string[] = [];
  for (const [, rows] of tasks) {
    if (rows.length < minRows) {
      tasksTooSmall++;
      rowsOfSmallTasks += rows.length;
      continue;
    }
    const grams = templateGrams(
      rows.map((r) => r.instruction),
      n,
      share,
    );
    for (const r of rows) {
      const s = stripTemplate(r.instruction, grams, n);
      words += s.words;
      removedWords += s.removed;
      if (s.words - s.removed < minWords) {
        tooShort++;
        continue;
      }
      if (seen.has(s.text)) {
        duplicates++;
        continue;
      }
      seen.add(s.text);
      texts.push(s.text);
    }
  }

  let kept = texts;
  let overlapDropped = 0;
  let heldOut: PretrainTextResult["heldOut"] = null;
  if (testSource !== undefined) {
    progress({ stage: "read", done: 0, unit: "rows", message: `reading ${sourceLabel(testSource)}` });
    const test = (await read(testSource, "--test")).examples;
    const spans = new Set<string>();
    for (const e of test) {
      for (const k of spanKeys(e.instruction, span)) spans.add(k);
      for (const k of spanKeys(e.answer, span)) spans.add(k);
    }
    kept = texts.filter((t) => !spanKeys(t, span).some((k) => spans.has(k)));
    overlapDropped = texts.length - kept.length;
    const testTasks = [...byTask(test)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // Every held-out template n-gram -> the held-out tasks whose wording it is.
    const owners = new Map<string, number[]>();
    const sizes: number[] = [];
    testTasks.forEach(([, rows], t) => {
      const grams = templateGrams(
        rows.map((r) => r.instruction),
        n,
        share,
        false,
      );
      sizes.push(grams.size);
      for (const g of grams) {
        const list = owners.get(g);
        if (list === undefined) owners.set(g, [t]);
        else list.push(t);
      }
    });
    const withAny = new Array<number>(testTasks.length).fill(0);
    const gramTexts = new Map<string, number>();
    for (const t of kept) {
      const hit = new Set<number>();
      for (const g of gramsIn(t, owners, n, false)) {
        gramTexts.set(g, (gramTexts.get(g) ?? 0) + 1);
        for (const task of owners.get(g)!) hit.add(task);
      }
      for (const task of hit) withAny[task]!++;
    }
    const perTask = testTasks.map(([task], t) => ({
      task,
      templateGrams: sizes[t]!,
      textsWithAny: withAny[t]!,
    }));
    const top = [...gramTexts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 20)
      .map(([g, c]) => ({ gram: gramText(g), texts: c }));
    heldOut = { rows: test.length, tasks: testTasks.length, byTask: perTask, top };
  }

  shuffleInPlace(kept, createRng(seed).fork("pretrain-text"));
  await mkdir(dirname(options.out), { recursive: true });
  await writeJsonLines(
    options.out,
    kept.map((text) => JSON.stringify({ text })),
  );
  const counts = {
    rows: examples.length,
    tasks: tasks.size,
    tasksTooSmall,
    rowsOfSmallTasks,
    tooShort,
    duplicates,
    overlapDropped,
    texts: kept.length,
    words,
    removedWords,
  };
  const result: PretrainTextResult = { out: options.out, manifest, counts, heldOut };
  const doc = {
    tool: "instruct-arrange",
    version: VERSION,
    kind: "pretrain-text",
    environment: runEnvironment(),
    options: {
      data: options.data,
      test: options.test ?? null,
      ngram: n,
      share,
      minRows,
      minWords,
      overlapSpan: span,
      seed,
    },
    counts,
    heldOut,
  };
  await atomicWrite(manifest, (fh) => writeAll(fh, Buffer.from(`${JSON.stringify(doc, null, 2)}\n`)));
  return result;
}
