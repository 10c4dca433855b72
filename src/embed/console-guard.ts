import { format } from "node:util";

/**
 * Runtimes such as TensorFlow.js and its Emscripten WASM glue print through `console.log`; the CLI may use
 * stdout for data, so while such a runtime loads or runs, `console.log`, `console.info` and `console.debug`
 * are sent to stderr. Functions the runtime binds during that time (Emscripten binds `console.log` when its
 * module is instantiated) keep writing to stderr afterwards. Calls may nest or overlap; the original methods
 * come back when the last one ends.
 */
type Method = "log" | "info" | "debug";
const METHODS: readonly Method[] = ["log", "info", "debug"];

let depth = 0;
let saved: Record<Method, (...args: unknown[]) => void> | undefined;

function toStderr(...args: unknown[]): void {
  process.stderr.write(`${format(...args)}\n`);
}

export async function withConsoleOnStderr<T>(fn: () => Promise<T>): Promise<T> {
  if (depth++ === 0) {
    saved = { log: console.log, info: console.info, debug: console.debug };
    for (const m of METHODS) console[m] = toStderr;
  }
  try {
    return await fn();
  } finally {
    if (--depth === 0 && saved !== undefined) {
      for (const m of METHODS) console[m] = saved[m];
      saved = undefined;
    }
  }
}
