import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactUrl, redactUrlsIn } from "../../src/core/redact.js";
import { requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs, runCliAsync } from "../helpers/run-cli.js";
import { EXAMPLE_TEST, tempDir } from "../helpers/tmp.js";
import { runCli } from "./helpers-writes.js";

// A credential in an endpoint's query string (Azure-style `?api-key=...`) or userinfo is never recorded
// (manifest command and options, sidecars, results) nor printed; it is still sent to the server.

const SECRET = "s3cr3t-query-key";

requireBuiltCli();

/** The built CLI in a child process (the manifest records its real command line), without blocking the test's server. */
const cliAsync = (args: string[]) => runCliAsync(args, { timeoutMs: 120_000 });

describe("redactUrl", () => {
  it("hides query values and userinfo, keeps the rest", () => {
    expect(redactUrl(`https://h.example/v1/embeddings?api-key=${SECRET}&api-version=2024`)).toBe(
      "https://h.example/v1/embeddings?api-key=***&api-version=***",
    );
    expect(redactUrl("http://user:pw@h.example:8080/v1")).toBe("http://***@h.example:8080/v1");
    expect(redactUrl("http://127.0.0.1:8000/v1")).toBe("http://127.0.0.1:8000/v1");
    expect(redactUrl("http://h/v1?flag")).toBe("http://h/v1?flag");
    expect(redactUrlsIn(`--endpoint=http://h/v1?key=${SECRET} and https://u:p@x/y?q=1`)).toBe(
      "--endpoint=http://h/v1?key=*** and https://***@x/y?q=***",
    );
  });
});

let server: Server;
let base: string;
const seenQueries: string[] = [];

beforeAll(async () => {
  // Embeddings on any path under /v1 (query strings allowed); completions always fail with 500.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      seenQueries.push(url.search);
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/v1/embeddings") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string[] };
        const data = body.input.map((text, index) => ({
          object: "embedding",
          index,
          embedding: [1 + (text.length % 7), 1 + (text.length % 3), 2, 3],
        }));
        res.end(JSON.stringify({ data }));
        return;
      }
      res.statusCode = 500;
      res.end(JSON.stringify({ error: `failed for ${req.url}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function allFiles(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

describe("credentials in endpoint URLs", () => {
  it("arrange --embedder http: manifest and log hold no query value; the server still gets it", async () => {
    const dir = await tempDir("ia-redact-");
    seenQueries.length = 0;
    const endpoint = `${base}/v1?api-key=${SECRET}`;
    const r = await cliAsync(
      arrangeArgs(join(dir, "o.jsonl"), {
        train: EXAMPLE_TEST,
        embedder: "http",
        extra: [
          "--overlap",
          "keep",
          "--endpoint",
          endpoint,
          "--model",
          "m",
          "--cache-dir",
          join(dir, "cache"),
        ],
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(seenQueries).toContain(`?api-key=${SECRET}`);
    const manifest = readFileSync(join(dir, "o.manifest.json"), "utf8");
    expect(manifest).toContain("api-key=***");
    expect(allFiles(dir)).not.toContain(SECRET);
    expect(r.stderr).not.toContain(SECRET);
  });

  it("embed --embedder http: sidecar and log hold no query value", async () => {
    const dir = await tempDir("ia-redact-embed-");
    const r = await runCli([
      "embed",
      "--input",
      EXAMPLE_TEST,
      "--out",
      join(dir, "e.npy"),
      "--embedder",
      "http",
      "--endpoint",
      `${base}/v1/embeddings?api-key=${SECRET}`,
      "--model",
      "m",
      "--cache-dir",
      join(dir, "cache"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "e.npy.json"), "utf8")).not.toContain(SECRET);
    expect(r.stderr).not.toContain(SECRET);
  });

  it("evaluate against a failing server: the error and retry warnings hold no query value", async () => {
    const dir = await tempDir("ia-redact-eval-");
    const r = await runCli([
      "evaluate",
      "--data",
      EXAMPLE_TEST,
      "--max-examples",
      "2",
      "--backend",
      "openai",
      "--endpoint",
      `${base}/v1?api-key=${SECRET}`,
      "--model",
      "m",
      "--retries",
      "1",
      "--out",
      join(dir, "r.json"),
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/500/);
    expect(r.stderr).toContain("api-key=***");
    expect(r.stderr).not.toContain(SECRET);
  });
});
