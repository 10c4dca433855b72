import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CLI_DEFAULTS } from "../../src/cli/defaults.js";
import { buildProgram } from "../../src/cli/program.js";
import { DEPRECATED_SPELLINGS, SHORT_FLAGS } from "../../src/cli/vocabulary.js";
import { isArrangeError } from "../../src/core/errors.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, listDir, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

function leaf(program: Command, path: string): Command {
  let c = program;
  for (const name of path.split(" ")) {
    const next = c.commands.find((x) => x.name() === name);
    if (next === undefined) throw new Error(`no command ${path}`);
    c = next;
  }
  return c;
}

/**
 * Parse `argv` with the real program, but with `path`'s action replaced by one that keeps its options:
 * the vocabulary (aliases, --config, required options) runs as in a real run, the work does not.
 */
async function parsed(path: string, argv: string[]) {
  const program = buildProgram();
  const command = leaf(program, path);
  let opts: Record<string, unknown> | undefined;
  command.action(() => {
    opts = command.opts();
  });
  const stderr: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  let error: unknown;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    error = e;
  } finally {
    spy.mockRestore();
  }
  return { opts, stderr: stderr.join(""), error };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("--embedder: one parser in every command", () => {
  it("experiment takes hf:<model id> as arrange does, and rejects the placeholder hf:<model-id>", async () => {
    for (const path of ["experiment run", "arrange"]) {
      const option = leaf(buildProgram(), path).options.find((o) => o.long === "--embedder");
      expect(option?.argChoices).toBeUndefined();
      expect(option?.parseArg?.("hf:Xenova/bge-small-en-v1.5", undefined)).toBe(
        "hf:Xenova/bge-small-en-v1.5",
      );
      expect(() => option?.parseArg?.("hf:<model-id>", undefined)).toThrow(/does not name a model/);
    }
    const ok = await parsed("experiment run", [
      "experiment",
      "fig4",
      "-d",
      "o",
      "-e",
      "hf:Xenova/bge-small-en-v1.5",
    ]);
    expect(ok.error).toBeUndefined();
    expect(ok.opts?.embedder).toBe("hf:Xenova/bge-small-en-v1.5");
    const r = cli(["experiment", "fig4", "--out-dir", "/nonexistent/x", "--embedder", "hf:<model-id>"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('embedder "hf:<model-id>" does not name a model');
    expect(cli(["experiment", "run", "--help"]).stdout).not.toMatch(/choices: "use-lite"/);
  });
});

describe("--threads: the trainer's and the model's, --embed-threads the embedder's", () => {
  it("the embedding commands' old --threads fills --embed-threads with one notice; train and evaluate keep --threads", async () => {
    for (const [path, argv] of [
      ["arrange", ["arrange", "--train", "a", "--test", "b", "-o", "x.jsonl"]],
      ["analyze", ["analyze", "--train", "a", "--test", "b", "-o", "x.json"]],
      ["embed", ["embed", "-i", "a", "-o", "x.npy"]],
      ["diversity", ["diversity", "-i", "a", "-o", "x.json"]],
    ] as const) {
      const old = await parsed(path, [...argv, "--threads", "3"]);
      expect(old.error).toBeUndefined();
      // The value lands where the pipeline reads the embedder's threads, as before.
      expect(old.opts?.threads).toBe(3);
      expect(old.stderr.trim().split("\n")).toEqual([
        "instruct-arrange: warning: --threads is deprecated, use --embed-threads (the old spelling goes in 0.2.0)",
      ]);
      const now = await parsed(path, [...argv, "--embed-threads", "3"]);
      expect(now.error).toBeUndefined();
      expect(now.opts?.threads).toBe(3);
      expect(now.stderr).toBe("");
      const help = leaf(buildProgram(), path).helpInformation();
      expect(help).toContain("--embed-threads <n>");
      expect(help).not.toMatch(/^\s*--threads /m);
    }
    // A bad value through the old spelling is named by the new one.
    const bad = await parsed("arrange", [
      "arrange",
      "--train",
      "a",
      "--test",
      "b",
      "-o",
      "x",
      "--threads",
      "0",
    ]);
    expect(isArrangeError(bad.error) && bad.error.message).toContain(
      "--embed-threads must be an integer >= 1",
    );
    // --config: the old key works with the notice, the new key without.
    const dir = await tempDir();
    const config = join(dir, "c.yaml");
    await writeFile(config, "threads: 2\n");
    const fromConfig = await parsed("embed", ["embed", "-i", "a", "-o", "x.npy", "-c", config]);
    expect(fromConfig.opts?.threads).toBe(2);
    expect(fromConfig.stderr).toContain("--threads is deprecated, use --embed-threads");
    // experiment keeps both: --embed-threads for the arrangements' embedder.
    const e = await parsed("experiment run", ["experiment", "fig4", "-d", "o", "--embed-threads", "2"]);
    expect(e.error).toBeUndefined();
    expect(e.opts?.embedThreads).toBe(2);
    const t = await parsed("train", ["train", "--train", "a", "--test", "b", "-d", "r", "--threads", "2"]);
    expect(t.opts?.threads).toBe(2);
    expect(t.stderr).toBe("");
    const ev = leaf(buildProgram(), "evaluate").options.find((o) => o.long === "--threads");
    expect(ev?.description).toBe("onnx, checkpoint: CPU threads");
  });
});

describe("one vocabulary: old spellings, short flags", () => {
  it("every old spelling fills its new option and prints one notice on stderr", async () => {
    const t = await parsed("train", ["train", "--data", "a.jsonl", "--eval", "b.jsonl", "--out", "run"]);
    expect(t.error).toBeUndefined();
    expect(t.opts).toMatchObject({ train: "a.jsonl", test: "b.jsonl", outDir: "run" });
    expect(t.stderr.trim().split("\n")).toEqual([
      "instruct-arrange: warning: --data is deprecated, use --train (the old spelling goes in 0.2.0)",
      "instruct-arrange: warning: --eval is deprecated, use --test (the old spelling goes in 0.2.0)",
      "instruct-arrange: warning: --out is deprecated, use --out-dir (the old spelling goes in 0.2.0)",
    ]);
    const a = await parsed("arrange", [
      "arrange",
      "--train",
      "a",
      "--test",
      "b",
      "-o",
      "x.jsonl",
      "--batch-size",
      "8",
    ]);
    expect(a.opts).toMatchObject({ embedBatchSize: 8, out: "x.jsonl" });
    expect(a.stderr).toContain("--batch-size is deprecated, use --embed-batch-size");
    // The new spelling prints nothing; --quiet silences the notice; --log-json makes it a JSON line.
    const n = await parsed("arrange", [
      "arrange",
      "--train",
      "a",
      "--test",
      "b",
      "-o",
      "x",
      "--embed-batch-size",
      "8",
    ]);
    expect(n.opts).toMatchObject({ embedBatchSize: 8 });
    expect(n.stderr).toBe("");
    const q = await parsed("evaluate", [
      "evaluate",
      "--data",
      "t",
      "--backend",
      "onnx",
      "-o",
      "r.json",
      "-q",
    ]);
    expect(q.opts).toMatchObject({ test: "t", quiet: true });
    expect(q.stderr).toBe("");
    const j = await parsed("evaluate", [
      "evaluate",
      "--data",
      "t",
      "--backend",
      "onnx",
      "-o",
      "r",
      "--log-json",
    ]);
    expect(JSON.parse(j.stderr)).toEqual({
      event: "warning",
      message: "--data is deprecated, use --test (the old spelling goes in 0.2.0)",
      deprecated: true,
    });
    // The old spelling keeps the new option's checks.
    const bad = await parsed("evaluate", [
      "evaluate",
      "--test",
      "t",
      "--backend",
      "onnx",
      "-o",
      "r",
      "--batch-size",
      "0",
    ]);
    expect(isArrangeError(bad.error) && bad.error.message).toMatch(
      /--eval-batch-size must be an integer >= 1/,
    );
  });

  it("a short flag means the same long flag in every command, and old spellings are hidden from --help", () => {
    const program = buildProgram();
    const all = (c: Command): Command[] => (c.commands.length === 0 ? [c] : c.commands.flatMap(all));
    const seen = new Map<string, string>();
    for (const command of all(program)) {
      for (const option of command.options) {
        if (option.short === undefined) continue;
        expect(SHORT_FLAGS[option.long ?? ""], `${command.name()} ${option.flags}`).toBe(option.short);
        const long = seen.get(option.short);
        if (long !== undefined) expect(option.long).toBe(long);
        seen.set(option.short, option.long ?? "");
      }
      expect(command.options.some((o) => o.long === "--config")).toBe(true);
    }
    expect([...seen.keys()].sort()).toEqual(Object.values(SHORT_FLAGS).sort());
    for (const [path, spellings] of Object.entries(DEPRECATED_SPELLINGS)) {
      const help = leaf(program, path).helpInformation();
      for (const [oldLong, newLong] of Object.entries(spellings)) {
        expect(help).toContain(newLong);
        expect(help.split("\n").some((l) => l.trim().startsWith(`${oldLong} `))).toBe(false);
      }
    }
  });

  it("the old and the new spellings write the same files, byte for byte", async () => {
    const dir = await tempDir("ia-vocab-");
    const arranged = join(dir, "a.jsonl");
    const common = ["--train", EXAMPLE_TRAIN, "--test", EXAMPLE_TEST, "--embedder", "ngram", "--no-manifest"];
    const oldRun = cli(["arrange", ...common, "--out", arranged, "--batch-size", "16"]);
    expect(oldRun.code).toBe(0);
    expect(oldRun.stderr).toContain("--batch-size is deprecated, use --embed-batch-size");
    const newRun = cli(["arrange", ...common, "-o", join(dir, "b.jsonl"), "--embed-batch-size", "16", "-q"]);
    expect(newRun.code).toBe(0);
    expect(await readFile(join(dir, "b.jsonl"), "utf8")).toBe(await readFile(arranged, "utf8"));
    const oldExport = cli([
      "export",
      "--input",
      arranged,
      "--to",
      "trl",
      "--out",
      join(dir, "old"),
      "--no-manifest",
    ]);
    const newExport = cli(["export", "-i", arranged, "--to", "trl", "-d", join(dir, "new"), "--no-manifest"]);
    expect([oldExport.code, newExport.code]).toEqual([0, 0]);
    expect(oldExport.stderr).toContain("--out is deprecated, use --out-dir");
    expect(newExport.stderr).not.toContain("deprecated");
    const files = await listDir(join(dir, "new"));
    expect(await listDir(join(dir, "old"))).toEqual(files);
    for (const f of files.filter((f) => f.endsWith(".jsonl") || f.endsWith(".json")))
      expect(await readFile(join(dir, "new", f), "utf8")).toBe(await readFile(join(dir, "old", f), "utf8"));
  });
});

describe("defaults", () => {
  it("the options' defaults are the table's", () => {
    const program = buildProgram();
    const defaultOf = (path: string, long: string) =>
      leaf(program, path).options.find((o) => o.long === long)?.defaultValue;
    expect(defaultOf("arrange", "--strategy")).toBe(CLI_DEFAULTS.arrange.strategy);
    for (const path of ["arrange", "analyze", "embed", "diversity"])
      expect(defaultOf(path, "--embedder")).toBe(CLI_DEFAULTS.embedder);
    expect(defaultOf("experiment run", "--embedder")).toBe(CLI_DEFAULTS.experiment.embedder);
    for (const path of ["train", "evaluate", "experiment run", "experiment onlyif-threshold"])
      expect(defaultOf(path, "--device")).toBe(CLI_DEFAULTS.device);
    expect(defaultOf("export", "--rows-per-shard")).toBe(CLI_DEFAULTS.export.rowsPerShard);
    expect(defaultOf("synth rewrite", "--budget")).toBe(CLI_DEFAULTS.rewrite.budget);
  });
});

describe("--config FILE", () => {
  it("fills options from YAML or JSON (keys = long flag names), and the command line wins", async () => {
    const dir = await tempDir("ia-config-");
    const yaml = join(dir, "arrange.yaml");
    await writeFile(
      yaml,
      "train: [a.jsonl, b.jsonl]\ntest: t.jsonl\nout: o.jsonl\nstrategy: rank\nseed: 7\nholdout: [x, y]\nmanifest: false\ncache: false\nquiet: true\n",
    );
    const fromFile = await parsed("arrange", ["arrange", "-c", yaml]);
    expect(fromFile.error).toBeUndefined();
    expect(fromFile.opts).toMatchObject({
      train: ["a.jsonl", "b.jsonl"],
      test: ["t.jsonl"],
      out: "o.jsonl",
      strategy: "rank",
      seed: 7,
      holdout: ["x", "y"],
      manifest: false,
      cache: false,
      quiet: true,
    });
    const overridden = await parsed("arrange", [
      "arrange",
      "--config",
      yaml,
      "--seed",
      "3",
      "--train",
      "c.jsonl",
    ]);
    expect(overridden.opts).toMatchObject({ seed: 3, train: ["c.jsonl"], strategy: "rank", out: "o.jsonl" });
    const json = join(dir, "train.json");
    await writeFile(
      json,
      JSON.stringify({ data: "a.jsonl", test: "b.jsonl", "out-dir": "run", "batch-size": 4 }),
    );
    const t = await parsed("train", ["train", "--config", json]);
    expect(t.opts).toMatchObject({ train: "a.jsonl", test: "b.jsonl", outDir: "run", batchSize: 4 });
    expect(t.stderr).toContain("--data is deprecated, use --train");
    // A required option may come from the file; missing from both, it is the usual usage error.
    const missing = await parsed("arrange", ["arrange", "--train", "a", "--test", "b"]);
    expect((missing.error as { code?: string }).code).toBe("commander.missingMandatoryOptionValue");
  });

  it("names the file and the key with the fix for unknown keys and bad values", async () => {
    const dir = await tempDir("ia-config-bad-");
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    const cases: [string, RegExp, RegExp][] = [
      [
        await write("unknown.yaml", "out: o.jsonl\nembeder: ngram\n"),
        /unknown key "embeder" for `instruct-arrange arrange`/,
        /long flag names of `instruct-arrange arrange --help`/,
      ],
      [
        await write("int.yaml", "budget: ten\n"),
        /key "budget": --budget must be an integer >= 1, got "ten"/,
        /--budget 1/,
      ],
      [
        await write("choice.yaml", "strategy: nope\n"),
        /key "strategy": .*Allowed choices are tma/,
        /one of the values/,
      ],
      [await write("bool.yaml", "quiet: yes please\n"), /key "quiet" takes true or false/, /quiet: true/],
      [await write("list.yaml", "- out\n"), /holds one mapping/, /name: value/],
      [await write("syntax.json", '{"out": '), /not valid YAML or JSON/, /syntax/],
    ];
    for (const [file, message, fix] of cases) {
      const r = await parsed("arrange", ["arrange", "--train", "a", "--test", "b", "--config", file]);
      expect(isArrangeError(r.error), file).toBe(true);
      if (!isArrangeError(r.error)) continue;
      expect(r.error.code).toBe("usage");
      expect(r.error.file).toBe(file);
      expect(r.error.message).toMatch(message);
      expect(r.error.fix).toMatch(fix);
    }
    const r = cli(["arrange", "--train", "a", "--test", "b", "--config", join(dir, "unknown.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "unknown.yaml")}: unknown key "embeder"`);
    const none = cli(["arrange", "--config", join(dir, "missing.yaml")]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/missing\.yaml: cannot read the --config file/);
  });
});
