/**
 * Memory of `arrange` on a very large JSONL file with precomputed embeddings: generates `--rows` short
 * alpaca rows (about 62 bytes each; 32M rows = 2 GB) and a `--dims`-column float32 .npy in a scratch
 * directory under /tmp, runs the CLI under /usr/bin/time -v, and reports peak RSS and wall time. The
 * baseline, measured in the same run, is the same command on `--rows / 16` rows: the ratio of the two RSS
 * figures and the bytes per extra row show how memory grows with the row count.
 *
 *   node dist/bench/big-jsonl.js [--rows 32000000] [--dims 2] [--test 8] [--metadata 1] [--random 1]
 *
 * `--random 1` uses --strategy random (the row store and writers only); `--random 0` the default TMA.
 * Needs about 2.3 GB of free space in /tmp for 32M rows (checked first); the directory is removed afterwards.
 * Target: 32M rows within 2 GB peak RSS (and with --metadata).
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMain, numberArgs } from "./peak-rss.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** Writes `n` short JSONL rows with 7 tasks and an n × d .npy of deterministic values. */
export function writeBigInput(stem: string, n: number, d: number): void {
  const fd = openSync(`${stem}.jsonl`, "w");
  try {
    let buf: string[] = [];
    for (let i = 0; i < n; i++) {
      buf.push(`{"instruction":"q${i}","output":"a${i % 9973}","task":"t${i % 7}"}\n`);
      if (buf.length === 1 << 16) {
        writeSync(fd, buf.join(""));
        buf = [];
      }
    }
    writeSync(fd, buf.join(""));
  } finally {
    closeSync(fd);
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const header = `${dict}${" ".repeat((64 - ((10 + dict.length + 1) % 64)) % 64)}\n`;
  const pre = Buffer.alloc(10);
  pre.write("\x93NUMPY", 0, "latin1");
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const npy = openSync(`${stem}.npy`, "w");
  try {
    writeSync(npy, pre);
    writeSync(npy, Buffer.from(header, "latin1"));
    const block = 1 << 20;
    const a = new Float32Array(block * d);
    for (let at = 0; at < n; at += block) {
      const k = Math.min(block, n - at);
      for (let j = 0; j < k * d; j++) a[j] = Math.sin((at * d + j) * 0.618);
      writeSync(npy, new Uint8Array(a.buffer, 0, k * d * 4));
    }
  } finally {
    closeSync(npy);
  }
}

interface Measured {
  rss: number;
  wall: number;
  status: number | null;
  tail: string;
}

function runArrange(dir: string, stem: string, o: { metadata: boolean; random: boolean }): Measured {
  const args = [
    "-v",
    process.execPath,
    CLI,
    "arrange",
    "--train",
    `${stem}.jsonl`,
    "--test",
    join(dir, "test.jsonl"),
    "--train-embeddings",
    `${stem}.npy`,
    "--test-embeddings",
    join(dir, "test.npy"),
    "--out",
    join(dir, "out", "arranged.jsonl"),
    ...(o.metadata ? ["--metadata", join(dir, "out", "arranged.meta.jsonl")] : []),
    // The generated test rows equal the first training rows: TMA refuses that overlap unless told to keep it.
    ...(o.random ? ["--strategy", "random"] : ["--overlap", "keep"]),
  ];
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", args, { encoding: "utf8", maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  rmSync(join(dir, "out"), { recursive: true, force: true });
  return {
    rss: kb === undefined ? Number.NaN : Number(kb) * 1024,
    wall,
    status: r.status,
    tail: r.stderr.slice(-2000),
  };
}

export function benchBigJsonl(argv: string[]): void {
  const o = numberArgs(argv, { rows: 32_000_000, dims: 2, test: 8, metadata: 1, random: 1 });
  const small = Math.max(1000, Math.floor(o.rows / 16));
  const needed = o.rows * (64 + 4 * o.dims) * 2.2; // input + npy + arranged copy (+ metadata lines)
  const dir = mkdtempSync("/tmp/instruct-arrange-big-");
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    if (free < needed) {
      console.log(
        `big-jsonl: needs ~${(needed / 1e9).toFixed(1)} GB in /tmp, ${(free / 1e9).toFixed(1)} GB free: skipped`,
      );
      return;
    }
    writeBigInput(join(dir, "test"), o.test, o.dims);
    const opts = { metadata: o.metadata === 1, random: o.random === 1 };
    const what = `${opts.random ? "random" : "tma"}${opts.metadata ? " + --metadata" : ""}`;
    const results: Measured[] = [];
    for (const n of [small, o.rows]) {
      const stem = join(dir, `train-${n}`);
      let t0 = performance.now();
      writeBigInput(stem, n, o.dims);
      console.log(`big-jsonl: wrote ${n} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      t0 = performance.now();
      const m = runArrange(dir, stem, opts);
      rmSync(`${stem}.jsonl`, { force: true });
      rmSync(`${stem}.npy`, { force: true });
      if (m.status !== 0) {
        console.log(`big-jsonl: arrange on ${n} rows FAILED (status ${m.status}):\n${m.tail}`);
        process.exitCode = 1;
        return;
      }
      console.log(
        `big-jsonl: ${n} rows x ${o.dims} dims, ${what}: peak RSS ${(m.rss / 2 ** 30).toFixed(2)} GiB, ${m.wall.toFixed(1)} s`,
      );
      results.push(m);
    }
    const [a, b] = results as [Measured, Measured];
    const perRow = (b.rss - a.rss) / (o.rows - small);
    const met = b.rss < 2e9;
    console.log(
      `big-jsonl: ${o.rows} rows vs ${small} rows (baseline, same run): RSS x${(b.rss / a.rss).toFixed(2)}, ` +
        `time x${(b.wall / a.wall).toFixed(2)}, ${perRow.toFixed(1)} bytes per extra row; ` +
        `peak ${(b.rss / 1e9).toFixed(2)} GB (target < 2 GB) -> ${met ? "MET" : "NOT MET"}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) benchBigJsonl(process.argv.slice(2));
