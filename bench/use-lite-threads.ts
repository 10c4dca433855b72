/**
 * use-lite threads bench: the same --n P3 texts (evenly spaced over the P3/T0 training sample, at most 256
 * tokens each) embedded with a pool of 1, 2, … worker threads, each configuration in a fresh process so its
 * memory is its own. Prints texts/s and tokens/s per thread count, the speed-up over one thread (same run),
 * whether the vectors are byte-identical, and memory: resident set after the threads loaded their models
 * and after the run, against the process before any thread started.
 *
 *   node dist/bench/use-lite-threads.js [--n 1024] [--threads 1,2] [--batch 64] [--data ../shared/data/p3-t0-train]
 *
 * Target (issue 14): 2 threads >= 1.7 x one thread on a 2-core machine. The machine's load average is printed
 * before and after: other processes on the machine take cores from the threads.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { readDataset } from "../src/data/index.js";
import { createEmbedder, embedAll } from "../src/embed/index.js";
import { isMain } from "./peak-rss.js";

const TARGET_2_VS_1 = 1.7;

interface Args {
  n: number;
  threads: number[];
  batch: number;
  data: string;
  child?: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { n: 1024, threads: [1, 2], batch: 64, data: "../shared/data/p3-t0-train" };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1] ?? "";
    if (k === "--n") a.n = Number(v);
    else if (k === "--threads") a.threads = v.split(",").map(Number);
    else if (k === "--batch") a.batch = Number(v);
    else if (k === "--data") a.data = v;
    else if (k === "--child") a.child = Number(v);
    else throw new Error(`unknown argument ${k}; expected --n, --threads, --batch, --data`);
  }
  return a;
}

/** Resident set of this process (all its threads) in MiB. */
function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface ChildResult {
  threads: number;
  seconds: number;
  tokens: number;
  truncated: number;
  sha256: string;
  rssBefore: number;
  rssLoaded: number;
  rssAfter: number;
  cpuSeconds: number;
}

async function sample(a: Args): Promise<string[]> {
  const all = (await readDataset(a.data, { texts: true })).texts!;
  const step = Math.max(1, Math.floor(all.length / a.n));
  const texts: string[] = [];
  for (let i = 0; i < all.length && texts.length < a.n; i += step) texts.push(all[i]!);
  return texts;
}

async function child(a: Args, threads: number): Promise<ChildResult> {
  const texts = await sample(a);
  const rssBefore = rssMiB();
  let tokens = 0;
  const e = await createEmbedder("use-lite", { threads, batchSize: a.batch, maxTokens: 256 });
  await e.warmUp?.(threads);
  const rssLoaded = rssMiB();
  // Count the tokens the model reads through the embedder's own batches.
  const counting = Object.create(e, {
    embed: {
      value: async (batch: string[]) => {
        const r = await e.embed(batch);
        tokens += r.tokens ?? 0;
        return r;
      },
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await embedAll(counting, texts, { batchSize: a.batch });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rssAfter = rssMiB();
  await e.dispose?.();
  const sha256 = createHash("sha256")
    .update(new Uint8Array(r.matrix.data.buffer, r.matrix.data.byteOffset, r.matrix.data.byteLength))
    .digest("hex");
  return {
    threads,
    seconds,
    tokens,
    truncated: r.truncated,
    sha256,
    rssBefore,
    rssLoaded,
    rssAfter,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export async function benchUseLiteThreads(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  if (a.child !== undefined) {
    console.log(JSON.stringify(await child(a, a.child)));
    return;
  }
  if (!existsSync(a.data)) {
    console.log(`use-lite-threads: ${a.data} not found, skipped`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  console.log(
    `use-lite-threads: ${a.n} P3 texts, 256 tokens max, batches of ${a.batch}; ${availableParallelism()} cores; load average ${load()}`,
  );
  const results: ChildResult[] = [];
  for (const threads of a.threads) {
    const r = spawnSync(
      process.execPath,
      [self, "--child", String(threads), "--n", String(a.n), "--batch", String(a.batch), "--data", a.data],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    if (r.status !== 0) throw new Error(`child with ${threads} threads failed (status ${r.status})`);
    const res = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as ChildResult;
    results.push(res);
    console.log(
      `use-lite-threads: ${threads} thread${threads === 1 ? " " : "s"}: ${res.seconds.toFixed(1)} s, ` +
        `${(a.n / res.seconds).toFixed(1)} texts/s, ${(res.tokens / res.seconds).toFixed(0)} tokens/s, ` +
        `CPU ${res.cpuSeconds.toFixed(1)} s; RSS ${res.rssBefore.toFixed(0)} MiB before, ${res.rssLoaded.toFixed(0)} MiB loaded ` +
        `(+${((res.rssLoaded - res.rssBefore) / threads).toFixed(0)} MiB per thread), ${res.rssAfter.toFixed(0)} MiB after the run ` +
        `(+${((res.rssAfter - res.rssBefore) / threads).toFixed(0)} MiB per thread); load average ${load()}`,
    );
  }
  const one = results.find((r) => r.threads === 1);
  for (const r of results) {
    if (one === undefined || r === one) continue;
    const speedup = one.seconds / r.seconds;
    const target =
      r.threads === 2 ? ` (target >= ${TARGET_2_VS_1}: ${speedup >= TARGET_2_VS_1 ? "met" : "MISSED"})` : "";
    console.log(`use-lite-threads: ${r.threads} threads / 1 thread = ${speedup.toFixed(2)}x${target}`);
  }
  const same = results.every((r) => r.sha256 === results[0]!.sha256);
  console.log(
    `use-lite-threads: vectors ${same ? "byte-identical" : "DIFFER"} across ${results.map((r) => r.threads).join(", ")} threads (sha256 ${results[0]!.sha256.slice(0, 16)}); ${results[0]!.tokens} tokens, ${results[0]!.truncated} texts truncated`,
  );
}

if (isMain(import.meta.url)) {
  benchUseLiteThreads(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
