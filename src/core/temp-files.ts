import { rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/**
 * Every temporary file or directory the process has created beside an output and not yet renamed or
 * removed, with the destination it stands for. Two things use it: error messages name the user's path
 * instead of a hidden temporary one (`userPath`, `userText`), and SIGINT/SIGTERM remove what is left
 * (`installSignalCleanup`). SIGKILL cannot be handled: after one, hidden staged files
 * (`.name.<hex>.staged.ext`, `.name.<hex>.tmp`) may remain beside the destination.
 */
const live = new Map<string, { dest: string; dir: boolean }>();

/** Record a temporary path standing for `dest` (a directory when `dir`, removed recursively). */
export function registerTemp(tmp: string, dest: string, dir = false): void {
  live.set(tmp, { dest, dir });
}

/** The temporary path was renamed into place or removed. */
export function releaseTemp(tmp: string): void {
  live.delete(tmp);
}

/** Temporary paths not yet released (for tests). */
export function liveTemps(): string[] {
  return [...live.keys()];
}

/** The path the user gave for a temporary path (following chains: a temp of a staged path), else `path`. */
export function userPath(path: string): string {
  let p = path;
  for (let i = 0; i < 8; i++) {
    const entry = live.get(p);
    if (entry === undefined) return p;
    p = entry.dest;
  }
  return p;
}

/** `text` with every live temporary path in it replaced by the user's path. */
export function userText(text: string): string {
  if (live.size === 0 || text.length === 0) return text;
  let out = text;
  // Longest first, so a temp of a staged path is replaced before the staged path inside it.
  for (const tmp of [...live.keys()].sort((a, b) => b.length - a.length)) {
    if (out.includes(tmp)) out = out.split(tmp).join(userPath(tmp));
  }
  return out;
}

/** Remove every live temporary path now (synchronously, so it can run in a signal handler). */
export function removeLiveTemps(): void {
  for (const [tmp, { dir }] of [...live.entries()].reverse()) {
    try {
      rmSync(tmp, { force: true, recursive: dir });
    } catch {
      // best effort: the process is exiting
    }
    live.delete(tmp);
  }
}

/** Opens of temporary files still in flight: a signal waits for them, so none is created after the cleanup. */
let opening = 0;
let exitCode: number | undefined;
let finishExit: (() => void) | undefined;

/** Open (create) a registered temporary file; a signal arriving meanwhile waits until the open has settled. */
export async function openTemp(path: string, flags: string): Promise<FileHandle> {
  opening++;
  try {
    return await open(path, flags);
  } finally {
    opening--;
    if (opening === 0 && exitCode !== undefined) finishExit?.();
  }
}

let installed = false;
const hooks = new Set<() => void>();

/** Run `hook` (synchronously) when a signal ends the process, e.g. to stop child processes; returns its removal. */
export function onSignalExit(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/**
 * On SIGINT or SIGTERM run the `onSignalExit` hooks, remove the live temporary files and exit with
 * 128 + the signal number (130, 143), as a shell reports a process killed by that signal.
 */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  const finish = () => {
    for (const hook of hooks) {
      try {
        hook();
      } catch {
        // exiting anyway
      }
    }
    removeLiveTemps();
    process.exit(exitCode);
  };
  const handler = (code: number) => {
    if (exitCode !== undefined) return;
    exitCode = code;
    finishExit = finish;
    if (opening === 0) finish();
    else setTimeout(finish, 2000).unref();
  };
  process.on("SIGINT", () => handler(130));
  process.on("SIGTERM", () => handler(143));
}
