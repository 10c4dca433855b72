import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeGpt2Fixture } from "../../src/evaluate/testing/gpt2-fixture.js";
import { startToyServer, type ToyServer } from "../evaluate/toy-completions-server.js";
import { EXAMPLE_TEST, tempDir } from "../helpers/tmp.js";
import { runCli } from "./helpers-writes.js";

// A server that fails, a server that answers nonsense and a damaged model are failures of the run (exit 1);
// exit 2 stays for usage errors (a bad command line).

let broken: Server;
let brokenUrl: string;
let toy: ToyServer;

beforeAll(async () => {
  // /v1/models answers; completions answer 200 with choices that carry no usable log-probabilities.
  broken = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      if (req.url === "/v1/models") res.end(JSON.stringify({ data: [{ id: "toy", max_model_len: 64 }] }));
      else res.end(JSON.stringify({ choices: [{ text: "x", logprobs: { tokens: "nope" } }] }));
    });
  });
  await new Promise<void>((r) => broken.listen(0, "127.0.0.1", r));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
  toy = await startToyServer(64);
});

afterAll(async () => {
  await new Promise((r) => broken.close(r));
  await toy.close();
});

const evaluateArgs = (out: string, extra: string[]) => [
  "evaluate",
  "--data",
  EXAMPLE_TEST,
  "--max-examples",
  "4",
  "--out",
  out,
  ...extra,
];

describe("evaluate exit codes", () => {
  it("HTTP 500 from the server: exit 1, no output", async () => {
    const dir = await tempDir("ia-eval-exit-");
    const out = join(dir, "r.json");
    toy.faults.push(...Array.from({ length: 10 }, () => ({ status: 500 })));
    const r = await runCli(
      evaluateArgs(out, ["--backend", "openai", "--endpoint", toy.url, "--model", "toy", "--retries", "0"]),
    );
    toy.faults.length = 0;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/500/);
    expect(r.stderr).toMatch(/fix: /);
    expect(existsSync(out)).toBe(false);
  });

  it("malformed log-probabilities: exit 1 naming the endpoint", async () => {
    const dir = await tempDir("ia-eval-exit-");
    const out = join(dir, "r.json");
    const r = await runCli(
      evaluateArgs(out, ["--backend", "openai", "--endpoint", brokenUrl, "--model", "toy", "--retries", "0"]),
    );
    expect(r.code, r.stderr).toBe(1);
    // The server answers /tokenize (asked first) and /completions with garbage: a service error either way.
    expect(r.stderr).toMatch(/unusable answer|no "tokens" list/);
    expect(r.stderr).toContain("127.0.0.1");
    expect(existsSync(out)).toBe(false);
  });

  it("a truncated ONNX model: exit 1 naming the model directory", async () => {
    const dir = await tempDir("ia-eval-exit-");
    const model = await writeGpt2Fixture(join(dir, "gpt2"));
    const onnx = join(model, "onnx", "model.onnx");
    const bytes = readFileSync(onnx);
    writeFileSync(onnx, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const out = join(dir, "r.json");
    const r = await runCli(evaluateArgs(out, ["--backend", "onnx", "--model-dir", model, "--threads", "1"]));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(model);
    expect(r.stderr).toMatch(/could not load/);
    expect(existsSync(out)).toBe(false);
  });

  it("a usage error stays exit 2", async () => {
    const dir = await tempDir("ia-eval-exit-");
    const r = await runCli(evaluateArgs(join(dir, "r.json"), ["--backend", "openai"]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --endpoint/);
  });
});
