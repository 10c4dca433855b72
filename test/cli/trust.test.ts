import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

requireBuiltCli();

const root = await tempDir("ia-trust-");
const NG = ["--embedder", "ngram", "--no-cache"];

const line = (instruction: string, output: string) => `${JSON.stringify({ instruction, output })}\n`;

/** A directory of task files: task t has `rows` examples with distinct texts. */
async function taskDir(dir: string, tasks: string[], rows: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const t of tasks) {
    let text = "";
    for (let i = 0; i < rows; i++) text += line(`${t} question number ${i} about ${t}`, `${t} answer ${i}`);
    await writeFile(join(dir, `${t}.jsonl`), text);
  }
}

async function sha(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

async function json(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}

describe("no training on the target by accident", () => {
  it("a test set inside the training directory stops the run before embedding, naming rows and files", async () => {
    const d = join(root, "leak");
    await taskDir(join(d, "all"), ["alpha", "beta", "gamma"], 20);
    const out = join(d, "out", "a.jsonl");
    const r = cli([
      "arrange",
      "--train",
      join(d, "all"),
      "--test",
      join(d, "all", "gamma.jsonl"),
      "--out",
      out,
      ...NG,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("20 training rows of 60 equal a test row");
    expect(r.stderr).toContain(`${join(d, "all", "gamma.jsonl")}:1 = ${join(d, "all", "gamma.jsonl")}:1`);
    expect(r.stderr).toContain(`inside the training directory ${join(d, "all")}`);
    expect(r.stderr).toContain("--overlap drop");
    expect(r.stderr).not.toContain("embed:");
    await expect(readdir(join(d, "out"))).rejects.toThrow();
  });

  it("--data --holdout splits the directory; --overlap drop and keep are recorded in the manifest", async () => {
    const d = join(root, "split");
    await taskDir(join(d, "all"), ["alpha", "beta", "gamma"], 20);
    // A copy of one test row (other whitespace) inside a training task.
    await writeFile(
      join(d, "all", "beta.jsonl"),
      line("gamma  question number 3 about gamma", "gamma answer 3"),
      {
        flag: "a",
      },
    );
    const base = ["arrange", "--data", join(d, "all"), "--holdout", "gamma", ...NG];
    const stop = cli([...base, "--out", join(d, "o0.jsonl")]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(`${join(d, "all", "beta.jsonl")}:21 = ${join(d, "all", "gamma.jsonl")}:4`);

    const drop = cli([...base, "--out", join(d, "o1.jsonl"), "--overlap", "drop", "--quiet"]);
    expect(drop.code).toBe(0);
    const m1 = (await json(join(d, "o1.manifest.json"))) as {
      overlap: {
        mode: string;
        exact: { count: number; dropped: number; pairs: { train: string; test: string }[] };
      };
      counts: { output: number; train: { read: number } };
    };
    expect(m1.overlap.mode).toBe("drop");
    expect(m1.overlap.exact).toMatchObject({ count: 1, dropped: 1 });
    expect(m1.overlap.exact.pairs).toEqual([
      { train: `${join(d, "all", "beta.jsonl")}:21`, test: `${join(d, "all", "gamma.jsonl")}:4` },
    ]);
    expect(m1.counts.output).toBe(40);
    expect(m1.counts.train.read).toBe(41);
    expect(await readFile(join(d, "o1.jsonl"), "utf8")).not.toContain("about gamma");

    const keep = cli([...base, "--out", join(d, "o2.jsonl"), "--overlap", "keep", "--quiet"]);
    expect(keep.code).toBe(0);
    const m2 = (await json(join(d, "o2.manifest.json"))) as {
      warnings: string[];
      counts: { output: number };
    };
    expect(m2.counts.output).toBe(41);
    expect(m2.warnings.some((w) => w.includes("1 training row equals a test row and is kept"))).toBe(true);
  });

  it("--decontaminate leaves out near copies by similarity and lists them", async () => {
    const d = join(root, "decon");
    await taskDir(join(d, "train"), ["alpha", "beta"], 20);
    await taskDir(join(d, "test"), ["gamma"], 5);
    await writeFile(
      join(d, "train", "alpha.jsonl"),
      line("gamma question number 2 about gamma!", "gamma answer 2"),
      {
        flag: "a",
      },
    );
    const r = cli([
      "arrange",
      "--train",
      join(d, "train"),
      "--test",
      join(d, "test"),
      "--out",
      join(d, "o.jsonl"),
      "--decontaminate",
      "0.9",
      ...NG,
    ]);
    expect(r.code).toBe(0);
    const m = (await json(join(d, "o.manifest.json"))) as {
      overlap: { decontaminated: { count: number; rows: { train: string; test: string }[] } };
      counts: { output: number };
    };
    expect(m.overlap.decontaminated.count).toBe(1);
    expect(m.overlap.decontaminated.rows[0]).toMatchObject({
      train: `${join(d, "train", "alpha.jsonl")}:21`,
      test: `${join(d, "test", "gamma.jsonl")}:3`,
    });
    expect(m.counts.output).toBe(40);
    expect(r.stderr).toContain("left out 1 training row");
  });

  it("repeated --train values are all read, in order", async () => {
    const d = join(root, "repeat");
    await taskDir(join(d, "a"), ["alpha"], 10);
    await taskDir(join(d, "b"), ["beta"], 10);
    await taskDir(join(d, "t"), ["gamma"], 4);
    const out = join(d, "o.jsonl");
    const args = ["arrange", "--train", join(d, "b", "beta.jsonl"), "--train", join(d, "a", "alpha.jsonl")];
    const r = cli([...args, "--test", join(d, "t"), "--out", out, "--strategy", "cluster", ...NG, "--quiet"]);
    expect(r.code).toBe(0);
    const rows = (await readFile(out, "utf8")).trim().split("\n");
    expect(rows.length).toBe(20);
    expect(rows[0]).toContain("beta");
    expect(rows[19]).toContain("alpha");
  });
});

describe("outputs never destroy or re-read inputs", () => {
  it("every output equal to an input, inside an input directory or equal to another output is a usage error, with nothing changed", async () => {
    const d = join(root, "guard");
    await taskDir(join(d, "train"), ["alpha", "beta"], 12);
    await taskDir(join(d, "test"), ["gamma"], 4);
    const train = join(d, "train");
    const trainFile = join(train, "alpha.jsonl");
    const test = join(d, "test", "gamma.jsonl");
    const before = [await sha(trainFile), await sha(test)];
    const arrange = ["arrange", "--train", train, "--test", test, ...NG];
    const cases: { args: string[]; says: string }[] = [
      { args: [...arrange, "--out", trainFile], says: "is inside the input directory --train" },
      { args: [...arrange, "--out", test], says: "is the input --test" },
      { args: [...arrange, "--out", join(d, "o.jsonl"), "--metadata", test], says: "--metadata" },
      {
        args: [...arrange, "--out", join(d, "o.jsonl"), "--metadata", join(d, "o.jsonl")],
        says: "name the same file",
      },
      { args: [...arrange, "--out", join(d, "o.jsonl"), "--manifest", trainFile], says: "--manifest" },
      {
        args: [...arrange, "--out", join(d, "x", "o.jsonl"), "--export", "trl", "--export-dir", train],
        says: "--export-dir",
      },
      { args: [...arrange, "--out", join(d, "o.csv")], says: "names the csv format" },
      { args: [...arrange, "--out", d], says: "is a directory" },
      { args: [...arrange, "--out", join(trainFile, "x.jsonl")], says: "is a file, not a directory" },
      {
        args: ["analyze", "--train", trainFile, "--test", test, "--out", test, ...NG],
        says: "is the input --test",
      },
      { args: ["diversity", "--input", trainFile, "--out", trainFile, ...NG], says: "is the input --input" },
      {
        args: ["embed", "--input", train, "--out", join(train, "e.npy"), ...NG],
        says: "inside the input directory",
      },
      { args: ["export", "--input", trainFile, "--to", "trl", "--out", train], says: "holds the input" },
    ];
    for (const c of cases) {
      const r = cli(c.args);
      expect({ args: c.args.join(" "), code: r.code }).toEqual({ args: c.args.join(" "), code: 2 });
      expect(r.stderr).toContain(c.says);
    }
    expect([await sha(trainFile), await sha(test)]).toEqual(before);
    expect((await readdir(train)).sort()).toEqual(["alpha.jsonl", "beta.jsonl"]);
  });

  it("a second run does not read the first run's outputs: hidden staged files and sidecars are skipped", async () => {
    const d = join(root, "rerun");
    await taskDir(join(d, "train"), ["alpha", "beta"], 12);
    await taskDir(join(d, "test"), ["gamma"], 4);
    await writeFile(join(d, "train", ".alpha.1a2b3c4d.staged.jsonl"), line("stale", "row"));
    await writeFile(join(d, "train", "old.manifest.json"), JSON.stringify({ tool: "instruct-arrange" }));
    const r = cli([
      "arrange",
      "--train",
      join(d, "train"),
      "--test",
      join(d, "test"),
      "--out",
      join(d, "o.jsonl"),
      ...NG,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("skipped 2 hidden or instruct-arrange output files");
    expect((await readFile(join(d, "o.jsonl"), "utf8")).trim().split("\n").length).toBe(24);
  });
});

describe("defaults that help, files that belong together", () => {
  it("TMA shuffles inside rounds by default; index order on one-task-per-file data is warned about", async () => {
    const d = join(root, "mix");
    const tasks = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"];
    await taskDir(join(d, "train"), tasks, 80);
    // 40 test rows near each training task: TMA rounds take many rows of every task, by index in file order.
    await mkdir(join(d, "test"), { recursive: true });
    let t = "";
    for (const k of tasks)
      for (let i = 200; i < 240; i++)
        t += line(`${k} question number ${i} about ${k} again`, `${k} answer ${i} again`);
    await writeFile(join(d, "test", "q.jsonl"), t);
    const base = ["arrange", "--train", join(d, "train"), "--test", join(d, "test"), ...NG];
    expect(cli([...base, "--out", join(d, "s.jsonl"), "--quiet"]).code).toBe(0);
    const s = (await json(join(d, "s.manifest.json"))) as {
      options: Record<string, unknown>;
      taskMix: { meanDistinct: number; randomMean: number; batches: number };
      environment: Record<string, unknown>;
      warnings?: string[];
    };
    expect(s.options).toMatchObject({
      strategy: "tma",
      order: "nearest-first",
      granularity: "instance",
      pick: "nearest",
      withinRound: "shuffle",
      seed: 0,
      overlap: "error",
    });
    expect(s.environment.node).toBe(process.version);
    expect(s.taskMix.batches).toBe(40);
    expect(s.taskMix.meanDistinct).toBeGreaterThan(s.taskMix.randomMean / 2);
    const idx = cli([...base, "--out", join(d, "i.jsonl"), "--within-round", "index"]);
    expect(idx.code).toBe(0);
    const i = (await json(join(d, "i.manifest.json"))) as {
      taskMix: { meanDistinct: number; randomMean: number };
      warnings: string[];
    };
    expect(i.taskMix.meanDistinct).toBeLessThan(i.taskMix.randomMean / 2);
    expect(
      i.warnings.some((w) => w.includes("--within-round index keeps a round's rows in file order")),
    ).toBe(true);
    expect(idx.stderr).toContain("distinct tasks on average");
  });

  it("analyze refuses metadata of another arrangement before embedding; report refuses mixed sets", async () => {
    const d = join(root, "meta");
    await taskDir(join(d, "train"), ["alpha", "beta"], 30);
    await taskDir(join(d, "test"), ["gamma"], 4);
    const base = ["arrange", "--train", join(d, "train"), "--test", join(d, "test"), ...NG, "--quiet"];
    expect(cli([...base, "--out", join(d, "n.jsonl"), "--metadata", join(d, "n.meta.jsonl")]).code).toBe(0);
    expect(
      cli([
        ...base,
        "--out",
        join(d, "f.jsonl"),
        "--metadata",
        join(d, "f.meta.jsonl"),
        "--order",
        "farthest-first",
      ]).code,
    ).toBe(0);
    const an = ["analyze", "--test", join(d, "test"), ...NG, "--quiet"];
    const wrong = cli([
      ...an,
      "--train",
      join(d, "n.jsonl"),
      "--metadata",
      join(d, "f.meta.jsonl"),
      "--out",
      join(d, "x.json"),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("belongs to another file or arrangement");
    const ok = [
      "--train",
      join(d, "n.jsonl"),
      "--metadata",
      join(d, "n.meta.jsonl"),
      "--out",
      join(d, "n.json"),
    ];
    expect(cli([...an, ...ok]).code).toBe(0);
    expect(
      cli([
        ...an,
        "--train",
        join(d, "f.jsonl"),
        "--metadata",
        join(d, "f.meta.jsonl"),
        "--out",
        join(d, "f.json"),
      ]).code,
    ).toBe(0);
    // Two arrangements of the same rows overlay; an analysis of other rows does not, unless asked.
    expect(
      cli([
        "report",
        "--analysis",
        join(d, "n.json"),
        "--analysis",
        join(d, "f.json"),
        "--out",
        join(d, "r1.html"),
        "--quiet",
      ]).code,
    ).toBe(0);
    expect(
      cli([
        "analyze",
        "--train",
        join(d, "train", "alpha.jsonl"),
        "--test",
        join(d, "test"),
        "--out",
        join(d, "a.json"),
        ...NG,
        "--quiet",
      ]).code,
    ).toBe(0);
    const mixed = cli([
      "report",
      "--analysis",
      join(d, "n.json"),
      "--analysis",
      join(d, "a.json"),
      "--out",
      join(d, "r2.html"),
    ]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain("--allow-mixed");
    expect(
      cli([
        "report",
        "--analysis",
        join(d, "n.json"),
        "--analysis",
        join(d, "a.json"),
        "--out",
        join(d, "r2.html"),
        "--allow-mixed",
        "--quiet",
      ]).code,
    ).toBe(0);
  });

  it("export names rows of another layout instead of suggesting --skip-invalid", async () => {
    const d = join(root, "layouts");
    await mkdir(d, { recursive: true });
    const mixed = join(d, "mixed.jsonl");
    await writeFile(
      mixed,
      `${line("q1", "a1")}${JSON.stringify({ prompt: "p2", completion: "c2" })}\n${line("q3", "a3")}`,
    );
    const r = cli(["export", "--input", mixed, "--to", "trl", "--out", join(d, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mixes record layouts");
    expect(r.stderr).toContain("1 prompt-completion row");
    expect(r.stderr).toContain(`${mixed}:2`);
  });
});
