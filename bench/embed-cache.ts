/**
 * The http backend and the embedding cache on one machine: a local OpenAI-compatible server (a child
 * process answering deterministic 384-d vectors after a fixed delay per request, standing in for a GPU
 * service) embeds N texts
 *   1. through the service, no cache (the baseline),
 *   2. through the service into an empty cache (the cost of writing it),
 *   3. from the warm cache alone (what a rerun pays),
 * and prints texts/s and the ratios against the baseline measured in this run.
 *
 *   node dist/bench/embed-cache.js [--n 20000] [--delay-ms 20] [--batch 64] [--concurrency 4]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpEmbedder } from "../src/embed/backends/http.js";
import { openEmbeddingCache } from "../src/embed/cache.js";
import { embedAll } from "../src/embed/embed-all.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const N = arg("n", 20_000);
const DELAY = arg("delay-ms", 20);
const BATCH = arg("batch", 64);
const CONCURRENCY = arg("concurrency", 4);
const DIMS = 384;

const SERVER = `
const http = require("node:http");
const { createHash } = require("node:crypto");
const [dims, delay] = [Number(process.argv[1]), Number(process.argv[2])];
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => setTimeout(() => {
    const { input } = JSON.parse(Buffer.concat(chunks).toString());
    const data = input.map((t, index) => {
      const h = createHash("sha256").update(t).digest();
      const embedding = new Array(dims);
      for (let d = 0; d < dims; d++) embedding[d] = (h[d % 32] - 127.5) / 100 + d / dims;
      return { index, embedding };
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ data }));
  }, delay));
}).listen(0, "127.0.0.1", function () { process.stdout.write(String(this.address().port) + "\\n"); });
`;

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", SERVER, String(DIMS), String(DELAY)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once("data", (c: Buffer) => resolve(c.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}`, child };
}

async function main(): Promise<void> {
  const texts = Array.from(
    { length: N },
    (_, i) => `Instruction ${i}: answer the question about item ${i % 997} in a few words. Answer: ${i * 7}`,
  );
  const { url, child } = await startServer();
  const dir = await mkdtemp(join(tmpdir(), "ia-bench-cache-"));
  try {
    const http = await createHttpEmbedder({
      endpoint: url,
      model: "bench",
      batchSize: BATCH,
      concurrency: CONCURRENCY,
      env: {},
    });
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };
    const opts = { batchSize: BATCH };
    const base = await time(() => embedAll(http, texts, opts));
    const cache = await openEmbeddingCache(dir);
    const cold = cache.wrap(http);
    const tCold = await time(async () => {
      await embedAll(cold, texts, opts);
      await cache.flush();
    });
    const warm = cache.wrap(http);
    const before = http.requests;
    const tWarm = await time(() => embedAll(warm, texts, opts));
    const r = warm.report();
    await cache.close();
    const rate = (t: number) => `${Math.round(N / t).toLocaleString("en-US")} texts/s`;
    console.log(
      `${N} texts x ${DIMS} dims, ${BATCH} per request, ${CONCURRENCY} in flight, ${DELAY} ms per request on the server`,
    );
    console.log(`service, no cache (baseline)   ${base.toFixed(2)} s  ${rate(base)}`);
    console.log(
      `service into an empty cache    ${tCold.toFixed(2)} s  ${rate(tCold)}  (${(tCold / base).toFixed(2)}x the baseline's time)`,
    );
    console.log(
      `warm cache                     ${tWarm.toFixed(2)} s  ${rate(tWarm)}  (${(base / tWarm).toFixed(1)}x faster than the baseline; ${r.hits} hits, ${r.misses} misses, ${http.requests - before} requests)`,
    );
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
