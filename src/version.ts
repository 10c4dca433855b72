import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function findVersion(): string {
  // dist/src/version.js and src/version.ts both sit two levels below the package root at most.
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === "instruct-arrange" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // try the next location
    }
  }
  return "0.0.0";
}

export const VERSION: string = findVersion();

/** The git commit the tool runs from, when it runs from a git checkout (read from .git, no git process). */
export function toolCommit(): string | undefined {
  const { readFileSync } = require("node:fs") as typeof import("node:fs");
  const { dirname, join } = require("node:path") as typeof import("node:path");
  for (const rel of ["../package.json", "../../package.json"]) {
    let root: string;
    try {
      root = dirname(require.resolve(rel));
    } catch {
      continue;
    }
    try {
      let gitDir = join(root, ".git");
      const gitFile = readFileSync(gitDir, "utf8");
      // A worktree or submodule: ".git" is a file naming the real git directory.
      const m = /^gitdir: (.+)$/m.exec(gitFile);
      if (m) gitDir = m[1]!.trim();
      void gitFile;
      return readHead(gitDir, readFileSync, join);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EISDIR") {
        try {
          return readHead(join(root, ".git"), readFileSync, join);
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

function readHead(
  gitDir: string,
  readFileSync: typeof import("node:fs").readFileSync,
  join: typeof import("node:path").join,
): string | undefined {
  const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (ref === undefined) return undefined;
  const candidates = [gitDir];
  // Worktrees keep refs in the common directory.
  try {
    candidates.push(join(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim()));
  } catch {
    // not a worktree
  }
  for (const dir of candidates) {
    try {
      const sha = readFileSync(join(dir, ref), "utf8").trim();
      if (/^[0-9a-f]{40}$/.test(sha)) return sha;
    } catch {
      // try packed refs
    }
    try {
      const packed = readFileSync(join(dir, "packed-refs"), "utf8");
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      if (line) return line.slice(0, 40);
    } catch {
      // none
    }
  }
  return undefined;
}

/** Where a run happened, for manifests: tool version and commit, Node, OS and CPU. */
export function runEnvironment(): Record<string, string | number> {
  const os = require("node:os") as typeof import("node:os");
  const env: Record<string, string | number> = {
    version: VERSION,
    node: process.version,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model?.trim() ?? "unknown",
    cores: os.availableParallelism?.() ?? os.cpus().length,
  };
  const commit = toolCommit();
  if (commit !== undefined) env.commit = commit;
  return env;
}
