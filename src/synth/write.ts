import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Staging, writeLines } from "../data/staging.js";
import { VERSION } from "../version.js";
import {
  generateRewrite,
  REWRITE_DOMAINS,
  REWRITE_TEMPLATE,
  type RewriteExample,
  type RewriteOptions,
  type RewriteSet,
  rewriteRecord,
} from "./rewrite.js";

export interface RewriteManifest {
  tool: "instruct-arrange";
  version: string;
  command: "synth rewrite";
  options: RewriteOptions;
  /** The instruction template ({x}, {y} filled in); the string z is the record's `input`. */
  template: string;
  record: string;
  files: { train: string; test: string };
  counts: {
    train: { examples: number; noops: number; rules: number; perDomain: Record<string, number> };
    test: { examples: number; noops: number; rules: number; perDomain: Record<string, number> };
  };
  rules: {
    train: { rule: string; domain: string; examples: number }[];
    test: { rule: string; domain: string; examples: number }[];
  };
}

export interface WrittenRewrite {
  set: RewriteSet;
  manifest: RewriteManifest;
  paths: { train: string; test: string; manifest: string };
}

function count(examples: RewriteExample[], rules: number) {
  const byDomain = new Map<string, number>();
  let noops = 0;
  for (const e of examples) {
    byDomain.set(e.domain, (byDomain.get(e.domain) ?? 0) + 1);
    if (e.noop) noops++;
  }
  const perDomain: Record<string, number> = {};
  for (const d of REWRITE_DOMAINS) if (byDomain.has(d)) perDomain[d] = byDomain.get(d)!;
  return { examples: examples.length, noops, rules, perDomain };
}

function* lines(examples: RewriteExample[]): Generator<string> {
  for (const e of examples) yield `${JSON.stringify(rewriteRecord(e))}\n`;
}

/**
 * Generate the rewrite task and write `train.jsonl`, `test.jsonl` and `manifest.json` (every option, the
 * seed, the template, counts and the rule lists) into `outDir`, all or nothing. Byte-identical for the same options.
 */
export async function writeRewrite(options: RewriteOptions, outDir: string): Promise<WrittenRewrite> {
  const set = generateRewrite(options);
  const paths = {
    train: join(outDir, "train.jsonl"),
    test: join(outDir, "test.jsonl"),
    manifest: join(outDir, "manifest.json"),
  };
  const manifest: RewriteManifest = {
    tool: "instruct-arrange",
    version: VERSION,
    command: "synth rewrite",
    options,
    template: REWRITE_TEMPLATE,
    record:
      '{"instruction": <template with x and y>, "input": z, "output": answer, "task": domain, "rule": "x->y", "noop": bool}',
    files: { train: "train.jsonl", test: "test.jsonl" },
    counts: {
      train: count(set.train, set.trainRules.length),
      test: count(set.test, set.testRules.length),
    },
    rules: {
      train: set.trainRules.map((r) => ({ rule: `${r.x}->${r.y}`, domain: r.domain, examples: r.examples })),
      test: set.testRules.map((r) => ({ rule: `${r.x}->${r.y}`, domain: r.domain, examples: r.examples })),
    },
  };
  await mkdir(outDir, { recursive: true });
  const staged = new Staging();
  try {
    await writeLines(staged.path(paths.train), lines(set.train));
    await writeLines(staged.path(paths.test), lines(set.test));
    await writeLines(staged.path(paths.manifest), [`${JSON.stringify(manifest, null, 2)}\n`]);
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return { set, manifest, paths };
}
