/**
 * One error class for everything the toolkit reports to a user. Every error names what went wrong,
 * where (file, line or row, option) and how to fix it; the CLI maps `code` to an exit status.
 */
import { redactUrlsIn } from "./redact.js";
import { userPath, userText } from "./temp-files.js";

export type ErrorCode =
  | "usage" // bad command-line or API options (exit 2)
  | "input" // malformed or unusable input data (exit 1)
  | "embeddings" // precomputed embeddings that do not match the data (exit 1)
  | "embedder" // an embedding backend failed to load or run (exit 1)
  | "io" // reading or writing files failed (exit 1)
  | "trainer" // the Python training backend is missing, failed or reported an error (exit 1)
  | "service" // a remote service (an evaluation server) failed or answered with something unusable (exit 1)
  | "internal"; // a bug: please report (exit 1)

export interface ErrorDetails {
  /** File the problem is in, as the user gave it. */
  file?: string;
  /** 1-based line (JSONL, JSON, CSV) or row (Parquet, .npy) number. */
  line?: number;
  /** The option involved, e.g. `--budget`. */
  option?: string;
  /** What the user can do about it. */
  fix?: string;
  cause?: unknown;
}

export class ArrangeError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly option: string | undefined;
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    // A hidden temporary path (a staged output) is never shown: the user's destination is named instead.
    // Nor a credential in a URL (userinfo, query values).
    super(
      redactUrlsIn(userText(message)),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = "ArrangeError";
    this.code = code;
    this.file = details.file === undefined ? undefined : userPath(details.file);
    this.line = details.line;
    this.option = details.option;
    this.fix = details.fix === undefined ? undefined : redactUrlsIn(userText(details.fix));
  }

  /** The message as a user reads it: `file:line: message` then the fix. */
  describe(): string {
    const where =
      this.file === undefined
        ? ""
        : this.line === undefined
          ? `${this.file}: `
          : `${this.file}:${this.line}: `;
    const opt = this.option === undefined || this.message.includes(this.option) ? "" : ` (${this.option})`;
    const fix = this.fix === undefined ? "" : `\n  fix: ${this.fix}`;
    return `${where}${this.message}${opt}${fix}`;
  }
}

export function usageError(message: string, option?: string, fix?: string): ArrangeError {
  return new ArrangeError("usage", message, { option, fix });
}

export function inputError(
  message: string,
  file: string,
  line: number | undefined,
  fix: string,
): ArrangeError {
  return new ArrangeError("input", message, { file, line, fix });
}

export function isArrangeError(e: unknown): e is ArrangeError {
  return e instanceof ArrangeError;
}
