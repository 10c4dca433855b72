import { readFileSync } from "node:fs";

/** Peak resident set size of this process in bytes (VmHWM from /proc/self/status; NaN elsewhere). */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** Whether this module is the process entry point (node dist/bench/<name>.js). */
export function isMain(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && importMetaUrl.endsWith(entry.replace(/^.*\//, "/"));
}

/** `--key value` pairs into numbers, with defaults. */
export function numberArgs<T extends Record<string, number>>(argv: string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "") ?? "";
    if (!(key in defaults))
      throw new Error(`unknown argument ${argv[i]}; expected ${Object.keys(defaults).join(", ")}`);
    out[key] = Number(argv[i + 1]);
  }
  return out as T;
}
