import type { ProgressSink } from "../../core/progress.js";
import type { ExampleLoss } from "../loss.js";

/** One test example: the user turn, the reference answer and its task (src/train/examples.ts). */
export interface EvalExample {
  instruction: string;
  answer: string;
  task: string;
}

/** What a backend reports per example; `aggregateLoss` turns a list of them into the summary. */
export interface ExampleScore extends ExampleLoss {
  /** The answer (+ end of sequence) could not fit in the length limit: not scored (lossSum null, tokens 0). */
  unfit: boolean;
  /** Prompt tokens were cut from the left to make room. */
  truncated: boolean;
}

/** A model that `evaluate` can score and generate with. */
export interface EvalBackend {
  readonly id: "openai" | "onnx" | "checkpoint";
  /** The model as the backend describes it (name, directory, checkpoint). */
  readonly model: string;
  /** Tokens per example (prompt + answer) the backend scores with; null when it is unknown. */
  readonly maxLength: number | null;
  /** Whether the answer's end-of-sequence token is among the scored answer tokens. */
  readonly scoresEos: boolean;
  /** Per example, in order: summed answer-token cross-entropy (nats) and answer-token count. */
  score(examples: readonly EvalExample[], onProgress?: ProgressSink): Promise<ExampleScore[]>;
  /** Greedy continuations of each example's prompt (the answer is not given), in order. */
  generate(
    examples: readonly EvalExample[],
    maxNewTokens: number,
    onProgress?: ProgressSink,
  ): Promise<string[]>;
  /** Backend details for the results file (never a key). */
  details(): Record<string, unknown>;
  close(): Promise<void>;
}
