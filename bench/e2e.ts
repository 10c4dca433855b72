/**
 * End-to-end bench: `arrange` (TMA, nearest-first) from .npy embeddings on a JSONL training file, the way a
 * user with precomputed embeddings runs it. The run happens in a fresh child process so that its wall time
 * and peak RSS (VmHWM) are its own.
 *
 *   node dist/bench/e2e.js [--n 1000000] [--m 1000] [--d 384] [--dir bench/out/e2e]
 *
 * Targets (issue 13): 1M x 1k x 384 end to end ≤ 2× one bare matrix product of the same shapes measured in
 * the same run (a separate child process), peak RSS ≤ 2.5 GB.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeNpy } from "../src/data/npy.js";
import { clusteredRows, randomCentres } from "./clustered.js";

interface Args {
  n: number;
  m: number;
  d: number;
  dir: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { n: 1_000_000, m: 1000, d: 384, dir: "bench/out/e2e" };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1] ?? "";
    if (k === "--n") a.n = Number(v);
    else if (k === "--m") a.m = Number(v);
    else if (k === "--d") a.d = Number(v);
    else if (k === "--dir") a.dir = v;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

async function prepare(a: Args): Promise<{ train: string; test: string; trainNpy: string; testNpy: string }> {
  await mkdir(a.dir, { recursive: true });
  const tag = `${a.n}x${a.m}x${a.d}`;
  const files = {
    train: join(a.dir, `train-${a.n}.jsonl`),
    test: join(a.dir, `test-${a.m}.jsonl`),
    trainNpy: join(a.dir, `train-${tag}.npy`),
    testNpy: join(a.dir, `test-${tag}.npy`),
  };
  if (Object.values(files).every(existsSync)) return files;
  const k = 256;
  const centres = randomCentres(k, a.d, 1);
  await writeNpy(files.trainNpy, {
    data: clusteredRows(a.n, centres, a.d, { spread: 0.8, seed: 2, skew: 0.5 }),
    rows: a.n,
    cols: a.d,
  });
  // The test set covers a few clusters only, as a held-out group of tasks would.
  const testCentres = centres.subarray(0, 16 * a.d);
  await writeNpy(files.testNpy, {
    data: clusteredRows(a.m, testCentres, a.d, { spread: 0.8, seed: 3 }),
    rows: a.m,
    cols: a.d,
  });
  for (const [path, rows, name] of [
    [files.train, a.n, "train"],
    [files.test, a.m, "test"],
  ] as const) {
    const s = createWriteStream(path);
    for (let i = 0; i < rows; i++) {
      if (!s.write(`{"instruction": "${name} example ${i}", "output": "answer ${i}"}\n`)) {
        await new Promise<void>((r) => s.once("drain", () => r()));
      }
    }
    await new Promise<void>((r) => s.end(() => r()));
  }
  return files;
}

export async function benchE2e(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  const t0 = performance.now();
  const f = await prepare(a);
  console.log(`e2e: data ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${a.dir})`);
  const child = fileURLToPath(new URL("./e2e-child.js", import.meta.url));
  const out = join(a.dir, "arranged.jsonl");
  const r = spawnSync(process.execPath, [child, f.train, f.test, f.trainNpy, f.testNpy, out], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error(`e2e child failed with status ${r.status}`);
  const res = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
    seconds: number;
    peakMiB: number;
    rows: number;
  };
  let lines = 0;
  for await (const chunk of createReadStream(out)) for (const b of chunk as Buffer) if (b === 10) lines++;
  console.log(
    `e2e: arrange tma ${a.n} x ${a.m} x ${a.d} from .npy: ${res.seconds.toFixed(1)} s, ` +
      `peak RSS ${(res.peakMiB / 1024).toFixed(2)} GiB = ${((res.peakMiB * 2 ** 20) / 1e9).toFixed(2)} GB (target ≤ 2.5 GB), wrote ${lines} rows`,
  );
  // The baseline, in the same run: the bare product of the same shapes (train embeddings × test embeddings).
  const p = spawnSync(process.execPath, [child, "--product", "", f.trainNpy, f.testNpy], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (p.status !== 0) throw new Error(`e2e product child failed with status ${p.status}`);
  const prod = JSON.parse(p.stdout.trim().split("\n").at(-1)!) as { seconds: number };
  console.log(
    `e2e: bare product ${a.m} x ${a.n} x ${a.d} (onnxruntime Gemm, blocks into one buffer): ${prod.seconds.toFixed(1)} s; ` +
      `arrange end to end = ${(res.seconds / prod.seconds).toFixed(2)}× the product (target ≤ 2×)`,
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  benchE2e(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
