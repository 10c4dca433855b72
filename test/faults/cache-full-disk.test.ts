import { spawnSync } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { cacheScript, TEXTS } from "./cache-script.js";
import { ROOT, requireBuiltCli, runCli, writeRows } from "./helpers.js";

requireBuiltCli();

/**
 * A small full filesystem for the cache: a 300 KiB tmpfs where this process may mount one (root on
 * Linux); elsewhere the same failure is injected with a file size limit (ulimit -f, SIGXFSZ ignored, so
 * writes past 300 KiB fail with EFBIG as they would with ENOSPC). FAULTS_NO_MOUNT=1 forces the injected
 * variant where a tmpfs could be mounted.
 */
let mounted: string | undefined;
async function fullDisk(base: string): Promise<{ dir: string; wrap: (cmd: string[]) => string[] }> {
  const dir = join(base, "small");
  await mkdir(dir, { recursive: true });
  const m = process.env.FAULTS_NO_MOUNT
    ? { status: 1 }
    : spawnSync("mount", ["-t", "tmpfs", "-o", "size=300k", "tmpfs", dir], { encoding: "utf8" });
  if (m.status === 0) {
    mounted = dir;
    return { dir, wrap: (cmd) => cmd };
  }
  return {
    dir,
    wrap: (cmd) => ["bash", "-c", `ulimit -f 300; trap '' XFSZ; exec "$@"`, "bash", ...cmd],
  };
}
afterAll(() => {
  if (mounted !== undefined) spawnSync("umount", [mounted]);
});

function run(cmd: string[], timeoutMs: number) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: ROOT,
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  return {
    code: r.status,
    signal: r.signal,
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT",
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
  };
}

// Fault case X07: the cache on a full filesystem printed lmdb's raw "Commit failed" stack trace and then
// hung in 3 of 4 runs. Now: one warning, the run goes on without writing to the cache, and ends.
describe("embedding cache on a full disk", () => {
  let disk: Awaited<ReturnType<typeof fullDisk>>;
  beforeAll(async () => {
    disk = await fullDisk(await tempDir("fault-full-"));
  });

  it("library: every vector is right, one warning, no hang, no unhandled rejection", () => {
    const r = run(
      disk.wrap([process.execPath, "--input-type=module", "-e", cacheScript(join(disk.dir, "lib"), TEXTS)]),
      60_000,
    );
    expect(r.timedOut, `hung; stderr: ${r.stderr}`).toBe(false);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out.right).toBe(true);
    expect(out.computed).toBe(300);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(
      /cannot write to the embedding cache .* going on without writing to it .*free disk space/,
    );
    expect(r.stderr).not.toMatch(/Commit failed|^\s+at /m);
  });

  it("CLI embed: exit 0 with the warning and the .npy written elsewhere; no raw stack trace", async () => {
    const dir = await tempDir("fault-full-cli-");
    // 100 rows: the .npy (200 KB) fits under the injected 300 KiB file size limit, the cache (a 4 KiB page per vector) does not.
    await writeRows(join(dir, "in.jsonl"), 100);
    const cache = join(disk.dir, "cli");
    const r = run(
      disk.wrap([
        process.execPath,
        join(ROOT, "dist/src/cli/main.js"),
        "embed",
        "--input",
        join(dir, "in.jsonl"),
        "--out",
        join(dir, "e.npy"),
        "--cache-dir",
        cache,
      ]),
      180_000,
    );
    expect(r.timedOut, `hung; stderr: ${r.stderr}`).toBe(false);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: cannot write to the embedding cache/);
    expect(r.stderr).not.toMatch(/Commit failed|Input\/output error\n\s+at /);
    expect((await readdir(dir)).sort()).toEqual(["e.npy", "e.npy.json", "in.jsonl"]);
    // The output is the same as without a cache.
    const plain = runCli(
      ["embed", "--input", join(dir, "in.jsonl"), "--out", join(dir, "plain.npy"), "--no-cache"],
      { timeoutMs: 180_000 },
    );
    expect(plain.code, plain.stderr).toBe(0);
    const { readFile } = await import("node:fs/promises");
    expect(Buffer.compare(await readFile(join(dir, "e.npy")), await readFile(join(dir, "plain.npy")))).toBe(
      0,
    );
  });
});
