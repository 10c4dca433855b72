import { readFile } from "node:fs/promises";
import { ArrangeError, inputError } from "../core/errors.js";
import { ioError } from "../data/io.js";
import type { RoundSpan, StepPlan } from "./types.js";

/** Steps, checkpoints and (with rounds) each round's first and last step, for `rows` rows trained in order. */
export function stepPlan(
  rows: number,
  batchSize: number,
  saveSteps: number,
  rounds: ArrayLike<number | undefined> | null,
  metadata: string | null,
): StepPlan {
  const steps = Math.ceil(rows / batchSize);
  const checkpointSteps: number[] = [];
  for (let s = saveSteps; s <= steps; s += saveSteps) checkpointSteps.push(s);
  let spans: RoundSpan[] | null = null;
  if (rounds !== null && rows > 0 && rounds[0] !== undefined) {
    spans = [];
    let start = 0;
    for (let p = 1; p <= rows; p++) {
      if (p < rows && rounds[p] === rounds[start]) continue;
      const last = p - 1;
      const lastStep = Math.floor(last / batchSize);
      const checkpoint = Math.ceil((lastStep + 1) / saveSteps) * saveSteps;
      spans.push({
        round: rounds[start]!,
        rows: p - start,
        first_position: start,
        last_position: last,
        first_step: Math.floor(start / batchSize),
        last_step: lastStep,
        done_at_global_step: lastStep + 1,
        first_checkpoint_after: checkpoint <= steps ? checkpoint : null,
      });
      start = p;
    }
  }
  return {
    rows,
    batch_size: batchSize,
    save_steps: saveSteps,
    steps_per_epoch: steps,
    examples_per_checkpoint: batchSize * saveSteps,
    checkpoint_steps: checkpointSteps,
    metadata,
    rounds: spans,
  };
}

/**
 * The `round` of every row from an `arrange --metadata` file, checked to describe exactly `rows` rows in
 * order (line k has position k). Returns null when no row has a round (strategies other than TMA).
 */
export async function readMetadataRounds(path: string, rows: number): Promise<(number | undefined)[] | null> {
  return (await readMetadata(path, rows)).rounds;
}

/** The rounds (as readMetadataRounds) and the `task` of every row of a metadata file. */
export async function readMetadata(
  path: string,
  rows: number,
): Promise<{ rounds: (number | undefined)[] | null; tasks: (string | undefined)[] }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw ioError(path, cause, "read the metadata");
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const fix = "pass the --metadata file written together with this arranged set, or --no-metadata";
  if (lines.length !== rows) {
    throw inputError(
      `the metadata describes ${lines.length} rows but the arranged set has ${rows}`,
      path,
      undefined,
      fix,
    );
  }
  const rounds: (number | undefined)[] = new Array(rows);
  const tasks: (string | undefined)[] = new Array(rows);
  let any = false;
  for (let k = 0; k < rows; k++) {
    let row: { position?: unknown; round?: unknown; task?: unknown };
    try {
      row = JSON.parse(lines[k]!) as typeof row;
    } catch (cause) {
      throw new ArrangeError("input", `malformed metadata line: ${(cause as Error).message}`, {
        file: path,
        line: k + 1,
        fix,
        cause,
      });
    }
    if (row === null || typeof row !== "object" || row.position !== k) {
      throw inputError(`metadata line ${k + 1} is not position ${k}`, path, k + 1, fix);
    }
    if (typeof row.task === "string") tasks[k] = row.task;
    if (row.round !== undefined) {
      if (!Number.isInteger(row.round)) throw inputError("round is not an integer", path, k + 1, fix);
      rounds[k] = row.round as number;
      any = true;
    } else if (any) {
      throw inputError("row has no round while earlier rows have one", path, k + 1, fix);
    }
  }
  if (!any) return { rounds: null, tasks };
  if (rounds[0] === undefined) throw inputError("row has no round while later rows have one", path, 1, fix);
  return { rounds, tasks };
}
