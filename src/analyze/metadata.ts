import { readFile } from "node:fs/promises";
import { ArrangeError, inputError } from "../core/errors.js";
import { rowPlace, textHashHex } from "../data/overlap.js";
import type { Dataset } from "../data/types.js";

export interface RoundMetadata {
  /** TMA round of each training row, in output (file) order. */
  round: Int32Array;
  /** TMA distance (`value`) of each training row. */
  value: Float64Array;
  /** Rows without a `text_hash` (metadata from before it was recorded), so not checked against the data. */
  unchecked: number;
}

/**
 * Read `arrange --metadata` JSONL: one object per training row, in output order, with `round` and `value`,
 * and check that it describes `train`: one line per row, and each line's `text_hash` equal to the text hash
 * of the training row at that position (another arrangement of the same rows fails here).
 */
export async function readRoundMetadata(path: string, train: Dataset): Promise<RoundMetadata> {
  const expectedRows = train.count;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new ArrangeError("io", `cannot read the metadata file: ${String(cause)}`, {
      file: path,
      option: "--metadata",
      fix: "pass the JSONL that `arrange --metadata` wrote for this training file",
      cause,
    });
  }
  const round: number[] = [];
  const value: number[] = [];
  let unhashed = 0;
  const lines = text.split("\n");
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === "") continue;
    const fix =
      "each line must be a JSON object with an integer `round` and a numeric `value`, as `arrange --strategy tma --metadata` writes";
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw inputError("not a JSON object", path, l + 1, fix);
    }
    const r = (row as { round?: unknown } | null)?.round;
    const v = (row as { value?: unknown } | null)?.value;
    if (typeof r !== "number" || !Number.isSafeInteger(r) || typeof v !== "number" || !Number.isFinite(v))
      throw inputError("missing or invalid `round`/`value`", path, l + 1, fix);
    const h = (row as { text_hash?: unknown }).text_hash;
    const k = round.length;
    if (typeof h === "string" && k < train.count && h !== textHashHex(train, k))
      throw inputError(
        `metadata row ${k} (position ${k}) describes another text than training row ${k} (${rowPlace(train, k)}): the metadata belongs to another file or arrangement`,
        path,
        l + 1,
        "pass the --metadata that `arrange` wrote together with this training file",
      );
    if (typeof h !== "string") unhashed++;
    round.push(r);
    value.push(v);
  }
  if (round.length !== expectedRows)
    throw inputError(
      `${round.length} metadata rows but ${expectedRows} training rows`,
      path,
      undefined,
      "pass the metadata written together with this training file (one line per row, same order)",
    );
  return { round: Int32Array.from(round), value: Float64Array.from(value), unchecked: unhashed };
}

/** Metadata without the rows at the given (ascending) positions. */
export function withoutMetadataRows(meta: RoundMetadata, rows: Int32Array): RoundMetadata {
  const drop = new Uint8Array(meta.round.length);
  for (const i of rows) drop[i] = 1;
  const round: number[] = [];
  const value: number[] = [];
  for (let i = 0; i < meta.round.length; i++) {
    if (drop[i] === 1) continue;
    round.push(meta.round[i]!);
    value.push(meta.value[i]!);
  }
  return { round: Int32Array.from(round), value: Float64Array.from(value), unchecked: meta.unchecked };
}

/** Round numbers (ascending), their sizes and mean `value`. */
export function roundSummary(meta: Pick<RoundMetadata, "round" | "value">): {
  rounds: number[];
  roundSizes: number[];
  roundMeanDistance: number[];
} {
  const size = new Map<number, number>();
  const sum = new Map<number, number>();
  for (let i = 0; i < meta.round.length; i++) {
    const r = meta.round[i]!;
    size.set(r, (size.get(r) ?? 0) + 1);
    sum.set(r, (sum.get(r) ?? 0) + meta.value[i]!);
  }
  const rounds = [...size.keys()].sort((a, b) => a - b);
  return {
    rounds,
    roundSizes: rounds.map((r) => size.get(r)!),
    roundMeanDistance: rounds.map((r) => sum.get(r)! / size.get(r)!),
  };
}
