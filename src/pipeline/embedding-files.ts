import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ArrangeError } from "../core/errors.js";
import { markFinite } from "../core/finite.js";
import {
  allocateEmbeddings,
  type NpyInfo,
  type NpyMatrix,
  readNpyHalfInto,
  readNpyInfo,
  readNpyInto,
} from "../data/npy.js";
import type { Dataset } from "../data/types.js";
import type { EmbeddingFileSummary } from "../embed/service-types.js";
import { halfMatrix } from "../linalg/half.js";
import {
  checkSidecar,
  type EmbeddingsSidecar,
  inputSha256,
  readSidecar,
  sidecarPath,
  textsSha256,
} from "./embeddings-sidecar.js";

export type { EmbeddingFileSummary };

export interface LoadedEmbeddings {
  matrix: NpyMatrix;
  /** sha256 of the file, or for a set of files of their sha256 hex digests, one per line, in row order. */
  sha256: string;
  files: EmbeddingFileSummary[];
  /** The backend that made the vectors, from the sidecar(s). */
  embedder?: { id: string; version: string; normalized?: boolean };
}

const GLOB = /[*?[]/;

/**
 * The files an --train-embeddings/--test-embeddings/--embeddings value names: the file itself, or for a
 * pattern with * ? or [...] in its last part (quote it so the shell leaves it alone), every matching
 * .npy file in that directory in name order. Matching nothing is an error naming the option.
 */
export async function expandEmbeddingPattern(spec: string, option: string): Promise<string[]> {
  const name = basename(spec);
  if (!GLOB.test(name)) return [spec];
  const dir = dirname(spec);
  if (GLOB.test(dir))
    throw new ArrangeError("usage", `${option} ${spec}: a pattern may only be in the file name`, {
      option,
      fix: "put the shards in one directory and pass e.g. 'emb/train-*.npy' (quoted)",
    });
  const re = patternRegExp(name);
  let entries: string[];
  try {
    entries = await readdir(dir === "" ? "." : dir);
  } catch (cause) {
    throw new ArrangeError("io", `cannot list ${dir} for ${option} ${spec}: ${String(cause)}`, {
      file: dir,
      option,
      fix: "check that the directory exists and can be read",
      cause,
    });
  }
  const files = entries
    .filter((e) => re.test(e) && !e.startsWith("."))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((e) => join(dir, e));
  if (files.length === 0)
    throw new ArrangeError("usage", `${option} ${spec} matches no file`, {
      option,
      fix: `check the pattern; the directory ${dir} has no file whose name matches ${name}`,
    });
  return files;
}

/** A shell-style file-name pattern (* ? [abc] [a-z] [!x]) as an anchored regular expression. */
function patternRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const redoShards = (n: number, input: string, spec: string) =>
  `embed every shard of the same input with the same backend: for K in 1..${n}: instruct-arrange embed --input ${input} --shard K/${n} --out ${spec.replace(/\*/g, "K")}`;

/**
 * Reads an embeddings input — one .npy file or a set of shards — into one matrix (each file read
 * straight into its rows), checking sidecars against `ds`. A set of files is either all with shard
 * sidecars (`embed --shard K/N`), which must agree on backend, input and N and cover the input rows
 * exactly once, or all without sidecars, concatenated in name order; anything else is an error naming
 * the file and the fix, raised before any output is written.
 */
export async function loadEmbeddings(spec: string, ds: Dataset, option: string): Promise<LoadedEmbeddings> {
  const paths = await expandEmbeddingPattern(spec, option);
  const infos: NpyInfo[] = [];
  const sidecars: (EmbeddingsSidecar | undefined)[] = [];
  for (const p of paths) {
    infos.push(await readNpyInfo(p));
    sidecars.push(await readSidecar(p, option));
  }
  const cols = infos[0]!.cols;
  for (const info of infos) {
    if (info.cols !== cols)
      throw new ArrangeError(
        "embeddings",
        `${info.path} has ${info.cols} columns but ${infos[0]!.path} has ${cols}: not one set of embeddings`,
        { file: info.path, option, fix: "embed every shard with the same backend and options" },
      );
  }
  const withSidecar = sidecars.filter((s) => s !== undefined).length;
  const sharded = sidecars.some((s) => s?.shard !== undefined);
  if (paths.length === 1 && !sharded) {
    const s = sidecars[0];
    if (s !== undefined) checkSidecar(s, paths[0]!, infos[0]!, ds, option);
    return read(infos, [], s);
  }
  if (withSidecar > 0 && withSidecar < paths.length) {
    const k = sidecars.indexOf(undefined);
    throw new ArrangeError(
      "embeddings",
      `${paths[k]} has no sidecar (${sidecarPath(paths[k]!)}) but other files of ${spec} do: a mixed set`,
      {
        file: paths[k],
        option,
        fix: "pass only the shards one embed run wrote, or re-embed the missing one with embed --shard",
      },
    );
  }
  if (withSidecar === 0) return read(infos, [], undefined);

  // Every file has a sidecar: they must be shards of one embed run over this input.
  const first = sidecars[0]!;
  const shards = infos.map((info, k) => ({ info, s: sidecars[k]! }));
  for (const { info, s } of shards) {
    if (s.shard === undefined)
      throw new ArrangeError(
        "embeddings",
        `${info.path} is a whole embedding file, not a shard, but ${spec} names several files`,
        {
          file: info.path,
          option,
          fix: `pass it alone, or only the files embed --shard K/N wrote`,
        },
      );
    if (
      s.embedder.id !== first.embedder.id ||
      s.embedder.version !== first.embedder.version ||
      s.dims !== first.dims
    )
      throw new ArrangeError(
        "embeddings",
        `${info.path} was embedded by ${s.embedder.id} (${s.embedder.version}) but ${paths[0]} by ${first.embedder.id} (${first.embedder.version}): mixed backends`,
        { file: info.path, option, fix: redoShards(first.shard!.count, first.input.path, spec) },
      );
    if (
      s.input.sha256 !== first.input.sha256 ||
      s.shard.count !== first.shard!.count ||
      s.shard.totalRows !== first.shard!.totalRows
    )
      throw new ArrangeError(
        "embeddings",
        `${info.path} is shard ${s.shard.index}/${s.shard.count} of ${s.input.path} (${s.shard.totalRows} rows, input sha256 ${s.input.sha256.slice(0, 12)}…) but ${paths[0]} is shard ${first.shard!.index}/${first.shard!.count} of ${first.input.path} (${first.shard!.totalRows} rows, ${first.input.sha256.slice(0, 12)}…): not one set`,
        { file: info.path, option, fix: redoShards(first.shard!.count, first.input.path, spec) },
      );
    if (info.rows !== s.shard.end - s.shard.start || s.rows !== info.rows)
      throw new ArrangeError(
        "embeddings",
        `${info.path} has ${info.rows} rows but its sidecar says shard rows ${s.shard.start}..${s.shard.end}`,
        { file: info.path, option, fix: "the two files are from different runs; re-run that shard" },
      );
  }
  shards.sort((a, b) => a.s.shard!.start - b.s.shard!.start);
  const n = first.shard!.count;
  const total = first.shard!.totalRows;
  let at = 0;
  for (let k = 0; k < shards.length; k++) {
    const { info, s } = shards[k]!;
    const sh = s.shard!;
    if (sh.start > at)
      throw new ArrangeError(
        "embeddings",
        `${spec} is incomplete: input rows ${at}..${sh.start - 1} of ${total} are in no shard (${shards.length} of ${n} shards found)`,
        {
          option,
          file: info.path,
          fix: `embed the missing shard(s): ${missing(
            shards.map((x) => x.s.shard!.index),
            n,
          )} of ${n}`,
        },
      );
    if (sh.start < at)
      throw new ArrangeError(
        "embeddings",
        `${info.path} (rows ${sh.start}..${sh.end - 1}) overlaps ${shards[k - 1]!.info.path} (rows ..${at - 1}): the same rows twice`,
        {
          file: info.path,
          option,
          fix: "pass each shard once, all from one embed --shard K/N run with the same N",
        },
      );
    at = sh.end;
  }
  if (at < total)
    throw new ArrangeError(
      "embeddings",
      `${spec} is incomplete: input rows ${at}..${total - 1} of ${total} are in no shard (${shards.length} of ${n} shards found)`,
      {
        option,
        file: shards.at(-1)!.info.path,
        fix: `embed the missing shard(s): ${missing(
          shards.map((x) => x.s.shard!.index),
          n,
        )} of ${n}`,
      },
    );
  const inputRows = ds.count + ds.skippedCount;
  if (total !== inputRows)
    throw new ArrangeError(
      "embeddings",
      `${spec} holds ${total} rows (embedded from ${first.input.path}) but ${ds.path} has ${inputRows} input rows`,
      { option, fix: `pass the data the shards were made from, or ${redoShards(n, ds.path, spec)}` },
    );
  const actual = inputSha256(ds);
  if (first.input.sha256 !== actual)
    throw new ArrangeError(
      "embeddings",
      `${spec} was embedded from ${first.input.path} (input sha256 ${first.input.sha256.slice(0, 12)}…), but ${ds.path} has different content (${actual.slice(0, 12)}…)`,
      { option, fix: `pass the data the shards were made from, or ${redoShards(n, ds.path, spec)}` },
    );
  if (ds.texts !== undefined) {
    for (const { info, s } of shards) {
      if (typeof s.input.textsSha256 !== "string") continue;
      const texts: string[] = [];
      for (let i = 0; i < ds.count; i++) {
        const o = ds.refs.ordinal[i]!;
        if (o >= s.shard!.start && o < s.shard!.end) texts.push(ds.texts[i]!);
      }
      if (textsSha256(texts) !== s.input.textsSha256)
        throw new ArrangeError("embeddings", `${info.path} was embedded from other texts of the same data`, {
          file: info.path,
          option,
          fix: `pass the same --template as the embed run${s.input.template === undefined ? " (none)" : ` ("${s.input.template}")`}`,
        });
    }
  }
  return read(
    shards.map((x) => x.info),
    shards.map((x) => x.s.shard!),
    first,
  );
}

function missing(have: number[], n: number): string {
  const got = new Set(have);
  const out: number[] = [];
  for (let k = 1; k <= n && out.length < 10; k++) if (!got.has(k)) out.push(k);
  return out.length === 0
    ? "(none by index: check the ranges)"
    : `--shard ${out.map((k) => `${k}/${n}`).join(", ")}`;
}

async function read(
  infos: NpyInfo[],
  shards: { index: number; count: number; start: number; end: number }[],
  sidecar: EmbeddingsSidecar | undefined,
): Promise<LoadedEmbeddings> {
  const cols = infos[0]!.cols;
  const rows = infos.reduce((a, i) => a + i.rows, 0);
  // float16 files stay float16 in memory (half the bytes); readers that need float32 convert on first use.
  const allHalf = infos.every((i) => i.dtype === "<f2");
  const bits = allHalf ? allocateHalf(rows * cols, infos[0]!.path) : undefined;
  const data = allHalf ? undefined : allocateEmbeddings(rows * cols, rows, cols, infos[0]!.path);
  const files: EmbeddingFileSummary[] = [];
  let at = 0;
  for (const [k, info] of infos.entries()) {
    const h = createHash("sha256");
    if (bits !== undefined) await readNpyHalfInto(info, bits, at, h);
    else await readNpyInto(info, data!, at, h);
    at += info.rows;
    const sh = shards[k];
    files.push({
      path: info.path,
      rows: info.rows,
      sha256: h.digest("hex"),
      dtype: info.dtype,
      ...(sh === undefined
        ? {}
        : { shard: { index: sh.index, count: sh.count, start: sh.start, end: sh.end } }),
    });
  }
  const sha256 =
    files.length === 1
      ? files[0]!.sha256
      : createHash("sha256")
          .update(files.map((f) => `${f.sha256}\n`).join(""))
          .digest("hex");
  const converted = infos.find((i) => i.dtype !== "<f4")?.dtype as NpyMatrix["converted"];
  // readNpyInto refused NaN and ±Infinity in every part, naming the file and row: the later checks skip this array.
  let matrix: NpyMatrix;
  if (bits !== undefined) {
    const m = halfMatrix(bits, rows, cols, markFinite);
    matrix = Object.defineProperty(m, "converted", { value: "<f2", enumerable: true }) as NpyMatrix;
  } else {
    markFinite(data!);
    matrix = { data: data!, rows, cols, ...(converted === undefined ? {} : { converted }) };
  }
  return {
    matrix,
    sha256,
    files,
    ...(sidecar === undefined
      ? {}
      : {
          embedder: {
            id: sidecar.embedder.id,
            version: sidecar.embedder.version,
            normalized: sidecar.embedder.normalized,
          },
        }),
  };
}

/** A Uint16Array for float16 bits, or an error naming the file when it cannot be had. */
function allocateHalf(count: number, path: string): Uint16Array {
  try {
    return new Uint16Array(count);
  } catch (cause) {
    throw new ArrangeError("embeddings", `cannot hold ${count} float16 values of ${path} in memory`, {
      file: path,
      fix: "use a machine with more memory, or split the work (embed --shard, then arrange on fewer rows)",
      cause,
    });
  }
}
