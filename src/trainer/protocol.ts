/**
 * The trainer's JSON-lines protocol (trainer/instruct_trainer/protocol.py): one object per stdout line,
 * each with an "event" field. `parseEvent` checks the fields this side relies on, so a malformed line
 * is reported with its line number instead of surfacing later as an undefined value.
 */

export interface StartEvent {
  event: "start";
  protocol: number;
  model: string;
  device: string;
  torch: string;
  threads: number;
  world: number;
  /** Training rows, or (objective lm) the packed sequences. */
  trainExamples: number;
  /** The trainer's objective (instruct or lm); absent from trainers before --objective. */
  objective?: string;
  evalExamples: number;
  steps: number;
  batchSize: number;
  maxLength: number;
}
export interface UnfitEvent {
  event: "unfit";
  split: "train" | "eval";
  maxLength: number;
  unfit: number;
  indices: number[];
  truncatedPrompts: number;
}
export interface StepEvent {
  event: "step";
  step: number;
  examples: number;
  /** Token-weighted mean answer loss of the step's batch; null when its batch had no answer token. */
  loss: number | null;
  tokens: number;
  lr: number;
  seconds: number;
}
export interface OrderEvent {
  event: "order";
  step: number;
  positions: number[];
  indices: number[];
}
export interface EvalEvent {
  event: "eval";
  step: number;
  examples: number;
  /** Per test example: summed answer-token loss, null when unfit. */
  lossSum: (number | null)[];
  tokens: number[];
}
export interface GenerateEvent {
  event: "generate";
  step: number;
  outputs: string[];
}
export interface CheckpointEvent {
  event: "checkpoint";
  step: number;
  path: string;
}
export interface DoneEvent {
  event: "done";
  steps: number;
  trainSeconds: number;
  stepsPerSecond: number | null;
}
export interface ErrorEvent {
  event: "error";
  kind: string;
  message: string;
}

export type TrainerEvent =
  | StartEvent
  | UnfitEvent
  | StepEvent
  | OrderEvent
  | EvalEvent
  | GenerateEvent
  | CheckpointEvent
  | DoneEvent
  | ErrorEvent;

type Kind = "number" | "string" | "number|null" | "number[]" | "(number|null)[]" | "string[]";

const FIELDS: Record<TrainerEvent["event"], Record<string, Kind>> = {
  start: {
    protocol: "number",
    steps: "number",
    batchSize: "number",
    evalExamples: "number",
    trainExamples: "number",
  },
  unfit: { split: "string", unfit: "number", indices: "number[]", truncatedPrompts: "number" },
  step: { step: "number", examples: "number", loss: "number|null", tokens: "number", lr: "number" },
  order: { step: "number", positions: "number[]", indices: "number[]" },
  eval: { step: "number", examples: "number", lossSum: "(number|null)[]", tokens: "number[]" },
  generate: { step: "number", outputs: "string[]" },
  checkpoint: { step: "number", path: "string" },
  done: { steps: "number", trainSeconds: "number", stepsPerSecond: "number|null" },
  error: { kind: "string", message: "string" },
};

function fits(value: unknown, kind: Kind): boolean {
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  switch (kind) {
    case "number":
      return num(value);
    case "string":
      return typeof value === "string";
    case "number|null":
      return value === null || num(value);
    case "number[]":
      return Array.isArray(value) && value.every(num);
    case "(number|null)[]":
      return Array.isArray(value) && value.every((v) => v === null || num(v));
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

/** A protocol line that could not be understood. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Parse one stdout line of the trainer (1-based `lineNo` for messages). */
export function parseEvent(text: string, lineNo: number): TrainerEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError(`trainer output line ${lineNo} is not JSON: ${text.slice(0, 120)}`, lineNo);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ProtocolError(`trainer output line ${lineNo} is not a JSON object`, lineNo);
  const record = value as Record<string, unknown>;
  const name = record.event;
  if (typeof name !== "string" || !Object.hasOwn(FIELDS, name))
    throw new ProtocolError(
      `trainer output line ${lineNo} has an unknown event ${JSON.stringify(name)}`,
      lineNo,
    );
  for (const [field, kind] of Object.entries(FIELDS[name as TrainerEvent["event"]])) {
    if (!fits(record[field], kind))
      throw new ProtocolError(
        `trainer "${name}" event on line ${lineNo}: field "${field}" should be ${kind}, got ${JSON.stringify(record[field])?.slice(0, 80)}`,
        lineNo,
      );
  }
  return record as unknown as TrainerEvent;
}

/** Splits a byte stream into lines (the last, unterminated line is returned by `end`). */
export class LineSplitter {
  private rest = "";
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    return lines;
  }
  end(): string[] {
    const last = this.rest;
    this.rest = "";
    return last === "" ? [] : [last];
  }
}
