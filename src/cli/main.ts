#!/usr/bin/env node
import { type Command, CommanderError } from "commander";
import { type ArrangeError, isArrangeError } from "../core/errors.js";
import { readSettings } from "../core/settings.js";
import { installSignalCleanup, userText } from "../core/temp-files.js";
import { buildProgram } from "./program.js";

export { buildProgram };

/** Whether the command line asks for JSON-line logging (`--log-json` before any `--`). */
function wantsJsonLog(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--log-json");
}

/** The final error as a user reads it: plain text, or one JSON line under --log-json. */
function reportError(
  json: boolean,
  fields: { code: string; message: string; e?: ArrangeError; stack?: string },
): void {
  if (json) {
    const e = fields.e;
    const line = {
      event: "error",
      code: fields.code,
      message: fields.message,
      ...(e?.file === undefined ? {} : { file: e.file }),
      ...(e?.line === undefined ? {} : { line: e.line }),
      ...(e?.option === undefined ? {} : { option: e.option }),
      ...(e?.fix === undefined ? {} : { fix: e.fix }),
      ...(fields.stack === undefined ? {} : { stack: fields.stack }),
    };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    return;
  }
  process.stderr.write(
    fields.e !== undefined
      ? `instruct-arrange: ${fields.e.describe()}\n`
      : `instruct-arrange: internal error: ${fields.message}\n${fields.stack !== undefined ? `${fields.stack}\n` : "  (set DEBUG=1 for the stack trace; please report this)\n"}`,
  );
}

/** Run the CLI; returns the exit status (0 ok, 1 failure, 2 usage error). Never calls process.exit itself. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = wantsJsonLog(argv);
  if (json) {
    // Usage errors found by the parser come out as a JSON line too, without the plain-text help hint.
    const asJson = (command: Command) => {
      command.showHelpAfterError(false).configureOutput({
        outputError: (text, write) =>
          write(
            `${JSON.stringify({ event: "error", code: "usage", message: text.trim().replace(/^error: /, "") })}\n`,
          ),
      });
      for (const sub of command.commands) asJson(sub);
    };
    asJson(program);
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exits are successes; parse errors are usage errors (commander printed them).
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return 0;
      return 2;
    }
    if (isArrangeError(e)) {
      reportError(json, { code: e.code, message: e.message, e });
      return e.code === "usage" ? 2 : 1;
    }
    const err = e as Error;
    reportError(json, {
      code: "internal",
      message: userText(err?.message ?? String(e)),
      stack: readSettings().debug ? err?.stack : undefined,
    });
    return 1;
  }
}

/**
 * A closed stdout or stderr (`2>&1 | head -1`) must not stop the work: once a write fails with EPIPE the
 * stream is dropped and later writes are discarded silently; outputs are still written and the exit status
 * is the work's own.
 */
export function ignoreClosedPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED" || err.code === "ECONNRESET") {
        silence(stream);
        return;
      }
      throw err;
    });
  }
}

function silence(stream: NodeJS.WriteStream): void {
  const discard = ((_chunk: unknown, encoding?: unknown, cb?: unknown) => {
    const done = typeof encoding === "function" ? encoding : cb;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
  stream.write = discard;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith("/cli/main.js");
if (invokedDirectly) {
  ignoreClosedPipes();
  installSignalCleanup();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`instruct-arrange: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
