/**
 * Training backend speed: `instruct-arrange train`'s trainer against a bare PyTorch loop (bench/train_bare.py)
 * on the same model, batches, optimizer and schedule. Target: ours >= 0.9x the bare loop's steps/s.
 * Training time only (the trainer's test evaluations are timed apart and excluded).
 *
 *   node dist/bench/train.js [--model builtin:mini] [--steps 10] [--threads 1] [--max-length 512] [--reps 3]
 *
 * Data: 480 P3/T0 examples from ../shared/data/p3-t0-train (20 from each of 24 templates), else the bundled example.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findPython, type TrainerEvent, train, trainerDir } from "../src/train/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const P3 = fileURLToPath(new URL("../../../shared/data/p3-t0-train/", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../../examples/data/train/", import.meta.url));

async function main(): Promise<void> {
  const model = arg("model", "builtin:mini");
  const steps = Number(arg("steps", "10"));
  const threads = Number(arg("threads", "1"));
  const maxLength = Number(arg("max-length", "512"));
  let python: Awaited<ReturnType<typeof findPython>>;
  try {
    python = await findPython();
  } catch (e) {
    console.log(`train: skipped (${(e as Error).message})`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "ia-bench-train-"));
  try {
    let data = EXAMPLE;
    if (existsSync(P3)) {
      const files = (await readdir(P3)).filter((f) => f.endsWith(".jsonl")).sort();
      const lines: string[] = [];
      for (let k = 0; k < 24; k++) {
        const f = files[Math.floor((k * files.length) / 24)]!;
        lines.push(
          ...(await readFile(join(P3, f), "utf8"))
            .split("\n")
            .filter((l) => l.trim() !== "")
            .slice(0, 20),
        );
      }
      data = join(dir, "p3-480.jsonl");
      await writeFile(data, `${lines.join("\n")}\n`);
    }
    // Alternate the two loops `reps` times and keep each one's best: the machine may be shared.
    const reps = Number(arg("reps", "3"));
    let r: Awaited<ReturnType<typeof train>> | undefined;
    let ours: number[] = [];
    let best = 0;
    let bestBare = 0;
    let b: { stepsPerSecond: number; losses: (number | null)[] } | undefined;
    const oursAll: number[] = [];
    const bareAll: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const losses: number[] = [];
      r = await train({
        data,
        eval: data,
        out: join(dir, "run"),
        model,
        maxSteps: steps,
        evalEvery: steps,
        evalMaxExamples: 16,
        maxLength,
        threads,
        device: "cpu",
        onEvent: (e: TrainerEvent) => {
          if (e.event === "step" && e.loss !== null) losses.push(e.loss);
        },
      });
      ours = losses;
      oursAll.push(r.stepsPerSecond ?? 0);
      best = Math.max(best, r.stepsPerSecond ?? 0);
      const bare = spawnSync(
        python.executable,
        [
          fileURLToPath(new URL("../../bench/train_bare.py", import.meta.url)),
          join(r.runDir, "trainer-config.json"),
        ],
        {
          encoding: "utf8",
          env: { ...process.env, PYTHONPATH: trainerDir(), OMP_NUM_THREADS: String(threads) },
        },
      );
      if (bare.status !== 0) throw new Error(`bare loop failed: ${bare.stderr}`);
      b = JSON.parse(bare.stdout.trim().split("\n").at(-1)!) as {
        stepsPerSecond: number;
        losses: (number | null)[];
      };
      bareAll.push(b.stepsPerSecond);
      bestBare = Math.max(bestBare, b.stepsPerSecond);
    }
    if (r === undefined || b === undefined) throw new Error("--reps must be at least 1");
    const bareLosses = b.losses.filter((l): l is number => l !== null);
    const diff = Math.max(...bareLosses.map((l, i) => Math.abs(l - (ours[i] ?? Number.NaN))));
    const ratio = best / bestBare;
    console.log(
      `train: ${r.start.model}, ${steps} steps of 16, max length ${maxLength}, ${threads} threads, torch ${python.torch} (${data === EXAMPLE ? "bundled example" : "480 P3 examples"})`,
    );
    console.log(
      `train: best of ${reps} alternating runs: ours ${best.toFixed(3)} steps/s [${oursAll.map((x) => x.toFixed(3)).join(", ")}], bare PyTorch loop ${bestBare.toFixed(3)} steps/s [${bareAll.map((x) => x.toFixed(3)).join(", ")}]; ratio ${ratio.toFixed(2)} (target >= 0.9); largest step-loss difference ${diff.toExponential(2)}`,
    );
    console.log(
      `train: whole run incl. start-up, data preparation and 2 test evaluations: ${r.seconds.toFixed(1)} s`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
