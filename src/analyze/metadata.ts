import { readFile } from "node:fs/promises";
import { ArrangeError, inputError } from "../core/errors.js";
import { rowPlace, textHashHex } from "../data/overlap.js";
import type { Dataset } from "../data/types.js";

export interface RoundMetadata {
  /** TMA round of each training row, in output (file) order (empty when the rows carry no round). */
  round: Int32Array;
  /** TMA distance (`value`) of each training row. */
  value: Float64Array;
  /** Rows without a `text_hash` (metadata from before it was recorded), so not checked against the data. */
  unchecked: number;
  /** Whether the rows carry TMA rounds (an arrangement by another strategy has none). */
  hasRounds: boolean;
  /** Each row's training task, when every row names one (`arrange --metadata` writes it). */
  task?: string[];
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
  const task: (string | undefined)[] = [];
  let withRound = 0;
  const lines = text.split("\n");
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === "") continue;
    const fix =
      "each line must be a JSON object as `arrange --metadata` writes: a `position` and a `task`, and for TMA an integer `round` and a numeric `value`";
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw inputError("not a JSON object", path, l + 1, fix);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row))
      throw inputError("not a JSON object", path, l + 1, fix);
    const r = (row as { round?: unknown }).round;
    const v = (row as { value?: unknown }).value;
    const t = (row as { task?: unknown }).task;
    // Rows without a round (an arrangement by rank, say) still name their task; with a round, a value too.
    if (r !== undefined) {
      if (!Number.isSafeInteger(r) || typeof v !== "number" || !Number.isFinite(v))
        throw inputError("missing or invalid `round`/`value`", path, l + 1, fix);
      withRound++;
    } else if (!Number.isSafeInteger((row as { position?: unknown }).position) || typeof t !== "string")
      // Not a row of arrange's metadata at all (which has a position and a task, and a round for TMA).
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
    round.push(typeof r === "number" ? r : 0);
    value.push(typeof v === "number" ? v : 0);
    task.push(typeof t === "string" ? t : undefined);
  }
  if (round.length !== expectedRows)
    throw inputError(
      `${round.length} metadata rows but ${expectedRows} training rows`,
      path,
      undefined,
      "pass the metadata written together with this training file (one line per row, same order)",
    );
  if (withRound > 0 && withRound !== round.length)
    throw inputError(
      `${withRound} of ${round.length} metadata rows have a TMA round`,
      path,
      undefined,
      "pass the metadata written together with this training file",
    );
  const tasks = task.every((t) => t !== undefined) ? (task as string[]) : undefined;
  return {
    round: Int32Array.from(round),
    value: Float64Array.from(value),
    unchecked: unhashed,
    hasRounds: withRound > 0,
    ...(tasks !== undefined ? { task: tasks } : {}),
  };
}

/** Metadata without the rows at the given (ascending) positions. */
export function withoutMetadataRows(meta: RoundMetadata, rows: Int32Array): RoundMetadata {
  const drop = new Uint8Array(meta.round.length);
  for (const i of rows) drop[i] = 1;
  const keep: number[] = [];
  for (let i = 0; i < meta.round.length; i++) if (drop[i] === 0) keep.push(i);
  return {
    round: Int32Array.from(keep, (i) => meta.round[i]!),
    value: Float64Array.from(keep, (i) => meta.value[i]!),
    unchecked: meta.unchecked,
    hasRounds: meta.hasRounds,
    ...(meta.task !== undefined ? { task: keep.map((i) => meta.task![i]!) } : {}),
  };
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
