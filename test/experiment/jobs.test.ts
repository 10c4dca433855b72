import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isComplete,
  type ResumableJob,
  RUN_KEY_FILE,
  resumeKeyText,
  runPool,
  runResumable,
  sha256Path,
} from "../../src/experiment/jobs.js";
import { tempDir } from "../helpers/tmp.js";

/** A job that writes out.txt when run; `runs` counts the real runs, `reuses` the reuses. */
function counted(runDir: string, key: unknown) {
  const counts = { runs: 0, reuses: 0 };
  const job: ResumableJob = { runDir, outputs: ["out.txt"], key };
  const steps = {
    reuse: async () => {
      counts.reuses++;
      return readFile(join(runDir, "out.txt"), "utf8");
    },
    run: async () => {
      counts.runs++;
      await mkdir(runDir, { recursive: true });
      await writeFile(join(runDir, "out.txt"), `made with ${JSON.stringify(key)}`);
      return `made with ${JSON.stringify(key)}`;
    },
  };
  return { job, steps, counts };
}

describe("resumable job runner", () => {
  it("resumes after a partial run: finished jobs are reused, the unfinished one runs again", async () => {
    const dir = await tempDir();
    const keys = [0, 1, 2].map((i) => ({ seed: i, data: "abc" }));
    const jobs = keys.map((key, i) => counted(join(dir, `run${i}`), key));
    // First attempt: job 1 fails after writing its output but before it is marked complete.
    const failing = {
      ...jobs[1]!.steps,
      run: async (): Promise<string> => {
        await jobs[1]!.steps.run();
        throw new Error("killed");
      },
    };
    await expect(
      runPool([0, 1, 2], 1, (i) => runResumable(jobs[i]!.job, true, i === 1 ? failing : jobs[i]!.steps)),
    ).rejects.toThrow("killed");
    // The pool starts nothing after a failure: job 2 never ran.
    expect(jobs.map((j) => j.counts.runs)).toEqual([1, 1, 0]);
    expect(await isComplete(jobs[0]!.job)).toBe(true);
    expect(await isComplete(jobs[1]!.job)).toBe(false);

    const second = await runPool([0, 1, 2], 1, (i) => runResumable(jobs[i]!.job, true, jobs[i]!.steps));
    expect(second.map((r) => r.reused)).toEqual([true, false, false]);
    expect(jobs.map((j) => j.counts)).toEqual([
      { runs: 1, reuses: 1 },
      { runs: 2, reuses: 0 },
      { runs: 1, reuses: 0 },
    ]);
    expect(second.map((r) => r.value)).toEqual(keys.map((k) => `made with ${JSON.stringify(k)}`));
    expect(await readFile(join(dir, "run0", RUN_KEY_FILE), "utf8")).toBe(resumeKeyText(keys[0]));

    // A third run reuses everything; resume: false runs everything again.
    const third = await runPool([0, 1, 2], 2, (i) => runResumable(jobs[i]!.job, true, jobs[i]!.steps));
    expect(third.map((r) => r.reused)).toEqual([true, true, true]);
    const fresh = await runPool([0, 1, 2], 2, (i) => runResumable(jobs[i]!.job, false, jobs[i]!.steps));
    expect(fresh.map((r) => r.reused)).toEqual([false, false, false]);
  });

  it("does not reuse a completion marker written for a different spec", async () => {
    const dir = await tempDir();
    const runDir = join(dir, "run");
    const a = counted(runDir, { seed: 0, train: { lr: 1e-3 } });
    await runResumable(a.job, true, a.steps);
    // The same run directory, other settings: the marker does not match, so the job runs and re-marks.
    const b = counted(runDir, { seed: 0, train: { lr: 5e-4 } });
    expect(await isComplete(b.job)).toBe(false);
    expect((await runResumable(b.job, true, b.steps)).reused).toBe(false);
    expect(b.counts).toEqual({ runs: 1, reuses: 0 });
    expect(await readFile(join(runDir, RUN_KEY_FILE), "utf8")).toBe(resumeKeyText(b.job.key));
    // Now the first spec's marker is gone: it runs again too.
    expect(await isComplete(a.job)).toBe(false);
  });

  it("does not reuse a marked run whose outputs are missing", async () => {
    const dir = await tempDir();
    const c = counted(join(dir, "run"), { seed: 3 });
    await runResumable(c.job, true, c.steps);
    await rm(join(dir, "run", "out.txt"));
    expect((await runResumable(c.job, true, c.steps)).reused).toBe(false);
    expect(c.counts).toEqual({ runs: 2, reuses: 0 });
  });

  it("runs at most `parallel` jobs at once and keeps the item order", async () => {
    for (const parallel of [1, 2, 3]) {
      let running = 0;
      let peak = 0;
      const waits = [30, 5, 20, 1, 10, 15];
      const results = await runPool(waits, parallel, async (ms, i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, ms));
        running--;
        return i;
      });
      expect(results).toEqual([0, 1, 2, 3, 4, 5]);
      expect(peak).toBe(parallel);
    }
    expect(await runPool([], 4, async () => 1)).toEqual([]);
  });

  it("after a failure starts no more jobs, waits for the running ones and throws the first error", async () => {
    const started: number[] = [];
    let finished = 0;
    const p = runPool([0, 1, 2, 3, 4], 2, async (i) => {
      started.push(i);
      if (i === 0) throw new Error("first");
      await new Promise((r) => setTimeout(r, 20));
      finished++;
      return i;
    });
    await expect(p).rejects.toThrow("first");
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(1);
  });

  it("hashes a directory by names and contents, not by where it lies", async () => {
    const dir = await tempDir();
    for (const d of ["a", "b"]) {
      await mkdir(join(dir, d, "sub"), { recursive: true });
      await writeFile(join(dir, d, "x.jsonl"), "1\n");
      await writeFile(join(dir, d, "sub", "y.jsonl"), "2\n");
    }
    expect(await sha256Path(join(dir, "a"))).toBe(await sha256Path(join(dir, "b")));
    await writeFile(join(dir, "b", "sub", "y.jsonl"), "3\n");
    expect(await sha256Path(join(dir, "a"))).not.toBe(await sha256Path(join(dir, "b")));
  });
});
