import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ArrangeError } from "../core/errors.js";
import type { Dataset } from "../data/types.js";

/**
 * The JSON sidecar `instruct-arrange embed` writes beside `X.npy` as `X.npy.json`: which backend made the
 * vectors and from which input, so that `arrange`/`analyze --train-embeddings X.npy` can check that the
 * rows belong to the data they are given.
 */
export interface EmbeddingsSidecar {
  tool: "instruct-arrange";
  version: string;
  kind: "embeddings";
  /** Rows of the .npy file: one per input row, kept or skipped. */
  rows: number;
  dims: number;
  dtype: "float32";
  embedder: { id: string; version: string; dims: number; normalized: boolean };
  input: {
    path: string;
    files: { path: string; format: string; layout: string; rows: number; skipped: number; sha256: string }[];
    /** sha256 over the input files' sha256 digests, in reading order (see `inputSha256`). */
    sha256: string;
    /** sha256 over the embedded texts of the kept rows (see `textsSha256`). */
    textsSha256: string;
    template?: string;
    skipInvalid: boolean;
  };
  /** Input rows skipped as invalid: their .npy rows are zero. */
  skipped: { count: number; rows: number[] };
  /** Texts the backend truncated to its input limit. */
  truncated: number;
  /**
   * `embed --shard K/N`: this file holds input rows [start, end) of totalRows, the K-th (1-based) of N
   * contiguous ranges; `rows` is end − start, `input.textsSha256` covers the kept rows of the range and
   * `skipped.rows` the skipped ones in it (as input-row numbers).
   */
  shard?: ShardInfo;
}

export interface ShardInfo {
  index: number;
  count: number;
  start: number;
  end: number;
  totalRows: number;
}

/** Input rows [start, end) of shard `index` (1-based) of `count` contiguous ranges over `total` rows. */
export function shardRange(index: number, count: number, total: number): { start: number; end: number } {
  return { start: Math.floor((total * (index - 1)) / count), end: Math.floor((total * index) / count) };
}

export function sidecarPath(npy: string): string {
  return `${npy}.json`;
}

/** Identity of a dataset's bytes: sha256 of its files' sha256 hex digests, one per line, in reading order. */
export function inputSha256(ds: Dataset): string {
  const h = createHash("sha256");
  for (const f of ds.files) h.update(`${f.sha256}\n`);
  return h.digest("hex");
}

/** Identity of the embedded texts: sha256 over each kept row's text, length-prefixed (UTF-8 bytes). */
export function textsSha256(texts: readonly string[]): string {
  const h = createHash("sha256");
  const len = Buffer.alloc(8);
  for (const t of texts) {
    const bytes = Buffer.from(t, "utf8");
    len.writeBigUInt64LE(BigInt(bytes.length));
    h.update(len);
    h.update(bytes);
  }
  return h.digest("hex");
}

/** Input-row numbers (0-based) of the rows `ds` skipped, ascending. */
export function skippedOrdinals(ds: Dataset): number[] {
  const total = ds.count + ds.skippedCount;
  const kept = new Uint8Array(total);
  for (let i = 0; i < ds.count; i++) kept[ds.refs.ordinal[i]!] = 1;
  const out: number[] = [];
  for (let r = 0; r < total; r++) if (kept[r] === 0) out.push(r);
  return out;
}

/** The sidecar of `npy`, or undefined when there is none. Malformed sidecars are errors. */
export async function readSidecar(npy: string, option: string): Promise<EmbeddingsSidecar | undefined> {
  const path = sidecarPath(npy);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ArrangeError("io", `cannot read the embeddings sidecar: ${String(e)}`, {
      file: path,
      option,
      fix: "check its permissions, or remove it to skip the checks",
      cause: e,
    });
  }
  let s: EmbeddingsSidecar;
  try {
    s = JSON.parse(text) as EmbeddingsSidecar;
  } catch (e) {
    throw new ArrangeError("embeddings", `the embeddings sidecar is not valid JSON: ${String(e)}`, {
      file: path,
      option,
      fix: `re-run instruct-arrange embed to write ${npy} and its sidecar again, or remove ${path}`,
      cause: e,
    });
  }
  if (
    s === null ||
    s.kind !== "embeddings" ||
    !Number.isSafeInteger(s.rows) ||
    !Number.isSafeInteger(s.dims) ||
    typeof s.input?.sha256 !== "string" ||
    typeof s.embedder?.id !== "string"
  )
    throw new ArrangeError(
      "embeddings",
      'the embeddings sidecar lacks kind "embeddings", rows, dims, input or embedder',
      {
        file: path,
        option,
        fix: `re-run instruct-arrange embed to write ${npy} and its sidecar again, or remove ${path}`,
      },
    );
  return s;
}

/**
 * Check that embeddings `npy` (with `rows` x `cols` values) and their sidecar belong to dataset `ds`: the
 * row count, the input files' content and, when the texts are at hand, the embedded texts.
 */
export function checkSidecar(
  s: EmbeddingsSidecar,
  npy: string,
  shape: { rows: number; cols: number },
  ds: Dataset,
  option: string,
): void {
  const side = sidecarPath(npy);
  const redo = `re-run: instruct-arrange embed --input ${ds.path} --out ${npy}`;
  if (s.rows !== shape.rows || s.dims !== shape.cols)
    throw new ArrangeError(
      "embeddings",
      `${npy} has ${shape.rows} x ${shape.cols} values but its sidecar ${side} says ${s.rows} x ${s.dims}`,
      { file: npy, option, fix: `the two files are from different runs; ${redo}` },
    );
  const inputRows = ds.count + ds.skippedCount;
  if (s.rows !== inputRows)
    throw new ArrangeError(
      "embeddings",
      `${npy} has ${s.rows} rows (embedded from ${s.input.path}) but ${ds.path} has ${inputRows} input rows`,
      { file: npy, option, fix: `pass the data the embeddings were made from, or ${redo}` },
    );
  const actual = inputSha256(ds);
  if (s.input.sha256 !== actual)
    throw new ArrangeError(
      "embeddings",
      `${npy} was embedded from ${s.input.path} (input sha256 ${s.input.sha256.slice(0, 12)}…), but ${ds.path} has different content (${actual.slice(0, 12)}…)`,
      { file: npy, option, fix: `pass the data the embeddings were made from, or ${redo}` },
    );
  if (ds.texts !== undefined && typeof s.input.textsSha256 === "string") {
    const texts = textsSha256(ds.texts);
    if (texts !== s.input.textsSha256)
      throw new ArrangeError(
        "embeddings",
        `${npy} was embedded from other texts of the same data (template ${JSON.stringify(s.input.template ?? "detected layout")}; this run: the texts differ)`,
        {
          file: npy,
          option,
          fix: `pass the same --template${s.input.template === undefined ? " (none)" : ` "${s.input.template}"`} as the embed run, or ${redo} with this run's --template`,
        },
      );
  }
}
