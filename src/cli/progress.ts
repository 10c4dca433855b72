import cliProgress from "cli-progress";
import type { ProgressEvent, ProgressSink } from "../core/progress.js";
import { redactUrlsIn } from "../core/redact.js";

export type ProgressMode = "bars" | "json" | "quiet" | "messages";

/** Where progress goes: bars on a terminal, JSON lines with --log-json, only messages otherwise. */
export function pickProgressMode(
  opts: { quiet?: boolean; logJson?: boolean },
  stream: NodeJS.WriteStream,
): ProgressMode {
  if (opts.logJson) return "json";
  if (opts.quiet) return "quiet";
  return stream.isTTY ? "bars" : "messages";
}

export interface ProgressRenderer {
  sink: ProgressSink;
  /** A line for the user (a detected layout, the final summary); suppressed by --quiet. */
  info(message: string, fields?: Record<string, unknown>): void;
  stop(): void;
}

export function createProgressRenderer(
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressRenderer {
  let bar: cliProgress.SingleBar | undefined;
  let barStage = "";

  const stopBar = () => {
    if (bar) {
      bar.stop();
      bar = undefined;
      barStage = "";
    }
  };

  const info = (raw: string, fields: Record<string, unknown> = {}) => {
    if (mode === "quiet") return;
    const message = redactUrlsIn(raw);
    if (mode === "json") {
      stream.write(`${JSON.stringify({ event: "info", message, ...fields })}\n`);
      return;
    }
    stopBar();
    stream.write(`${message}\n`);
  };

  const sink = (e: ProgressEvent) => {
    if (mode === "json") {
      stream.write(`${JSON.stringify({ event: "progress", ...e })}\n`);
      return;
    }
    if (mode === "bars" && e.total !== undefined && e.total > 0) {
      if (barStage !== e.stage) {
        stopBar();
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${e.stage.padEnd(14)} {bar} {percentage}% | {value}/{total} ${e.unit} | {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.total, 0);
        barStage = e.stage;
      }
      bar?.update(Math.min(e.done, e.total));
      if (e.done >= e.total) stopBar();
    }
    // After the bar, so a closing message follows its finished bar instead of restarting it.
    if (e.message !== undefined) info(e.message);
  };

  return { sink, info, stop: stopBar };
}

/** Seconds as a person reads them in a summary line: "0.4 s", "12 s", "3 min 5 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${sec} s`;
}
