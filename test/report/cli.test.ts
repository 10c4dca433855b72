import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FONT_CANDIDATES } from "../../src/report/render.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

requireBuiltCli();
const hasFont = FONT_CANDIDATES.some((p) => existsSync(p));

function run(args: string[]) {
  const r = cli(args);
  if (r.code !== 0) throw new Error(`${args[0]} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** Arrange the example (TMA, nearest or farthest rounds first) and analyze the result, as a user would. */
function arrangeAndAnalyze(dir: string, name: string, order: string): string {
  const arranged = join(dir, `${name}.jsonl`);
  const meta = join(dir, `${name}.meta.jsonl`);
  const analysis = join(dir, `${name}.analysis.json`);
  const common = ["--test", EXAMPLE_TEST, "--embedder", "ngram", "--quiet"];
  run([
    "arrange",
    "--train",
    EXAMPLE_TRAIN,
    ...common,
    "--order",
    order,
    "--out",
    arranged,
    "--metadata",
    meta,
  ]);
  run(["analyze", "--train", arranged, ...common, "--metadata", meta, "--out", analysis]);
  return analysis;
}

describe("instruct-arrange report", () => {
  it("--help lists every option", () => {
    const r = cli(["report", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--analysis",
      "--label",
      "--diversity",
      "--diversity-label",
      "--task-measure",
      "--max-task-panels",
      "--train-run",
      "--manifest",
      "--out",
      "--png-dir",
      "--svg-dir",
      "--font",
      "--png-scale",
      "--title",
      "--table-rows",
      "--quiet",
      "--log-json",
    ])
      expect(r.stdout).toContain(flag);
    expect(cli(["--help"]).stdout).toContain("report");
  });

  it("reports two arrangements of the bundled example side by side with a run's loss and two diversity reports, as HTML, PNG and SVG", async () => {
    const dir = await tempDir();
    const nft = arrangeAndAnalyze(dir, "nft", "nearest-first");
    const fft = arrangeAndAnalyze(dir, "fft", "farthest-first");
    // The diversity of the example's training and test sets, measured by the CLI as a user would.
    const trainDiv = join(dir, "train.diversity.json");
    const testDiv = join(dir, "test.diversity.json");
    for (const [input, out] of [
      [EXAMPLE_TRAIN, trainDiv],
      [EXAMPLE_TEST, testDiv],
    ] as const)
      run(["diversity", "--input", input, "--embedder", "ngram", "--no-cache", "--out", out, "--quiet"]);
    const a = JSON.parse(await readFile(nft, "utf8"));
    // A training run in the shared curves format (train writes it; hand-made here), on the analysis' step axis.
    const runDir = join(dir, "run-nft");
    await mkdir(runDir);
    const points = [0, ...a.checkpoints.steps].map((step: number, i: number) => ({
      step,
      examples: step * 16,
      trainLoss: i === 0 ? null : 3 - 0.1 * i,
      test: { loss: 3.2 - 0.08 * i, tokenLoss: 3.1 - 0.08 * i, perTask: {}, examples: 152, unfit: 0 },
    }));
    await writeFile(
      join(runDir, "curves.json"),
      JSON.stringify(
        {
          tool: "instruct-arrange",
          version: "0.1.0",
          kind: "train-curves",
          label: "NFT",
          batchSize: 16,
          evalEvery: 10,
          points,
        },
        null,
        2,
      ),
    );
    const out = join(dir, "report", "index.html");
    const extraManifest = join(dir, "extra.json");
    await writeFile(extraManifest, JSON.stringify({ tool: "something", note: "shown as is" }));
    const r = cli([
      "report",
      "--analysis",
      nft,
      "--analysis",
      fft,
      "--label",
      "NFT",
      "--label",
      "FFT",
      "--train-run",
      runDir,
      "--manifest",
      extraManifest,
      "--diversity",
      trainDiv,
      "--diversity-label",
      "train set",
      "--diversity",
      testDiv,
      "--diversity-label",
      "test set",
      "--task-measure",
      "euc-min",
      "--max-task-panels",
      "4",
      "--title",
      "Example: NFT vs FFT",
      "--out",
      out,
      "--svg-dir",
      join(dir, "svg"),
      ...(hasFont ? ["--png-dir", join(dir, "png")] : []),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /report with 12 charts \(curves, window-curves, task-curves, composition, batch-tasks, wsd, rounds, projection, coverage, diversity-overall, diversity-tasks, diversity-clusters\), 3 manifests/,
    );
    const html = await readFile(out, "utf8");
    expect(html).toContain("<title>Example: NFT vs FFT</title>");
    // Both arrange manifests were found beside the arranged files, plus the one passed.
    expect(html).toContain("arrange run of NFT");
    expect(html).toContain("arrange run of FFT");
    expect(html).toContain("shown as is");
    expect(html).toMatch(/None are flagged; the 20 test rows closest to the training set are shown instead/);
    const specs = JSON.parse(
      html.match(/<script type="application\/json" id="ia-specs">([^<]*)<\/script>/)![1]!,
    );
    const curves = JSON.stringify(specs.curves);
    for (const s of ["NFT", "FFT", "test loss", "train loss", "kl-bigram"]) expect(curves).toContain(s);
    // Per-task curves: euc-min of 4 of the example's 15 test tasks, the page saying so.
    const tasks = JSON.parse(await readFile(nft, "utf8")).inputs.test.tasks as string[];
    expect(tasks).toHaveLength(15);
    expect(html).toContain("4 of 15 shown");
    expect(html).toContain("Similarity curves per test task (euc-min)");
    const taskPanels = new Set(
      (specs["task-curves"].data[0].values as { panel?: string }[])
        .filter((v) => v.panel !== undefined)
        .map((v) => v.panel!.replace(/ \(.*/, "")),
    );
    expect(taskPanels.size).toBe(4);
    for (const t of taskPanels) expect(tasks).toContain(t);
    // Diversity: both files in the summary table, the train set's 49 tasks in the per-task chart.
    const train = JSON.parse(await readFile(trainDiv, "utf8"));
    expect(html).toContain(`<td class="num">${train.overall.vendi.toPrecision(4)}</td>`);
    expect(html).toContain("test set: 15 tasks, by Vendi score");
    expect(html).toContain("train set: 49 tasks, by Vendi score");
    const perTask = JSON.stringify(specs["diversity-tasks"]);
    for (const t of Object.keys(train.perTask)) expect(perTask).toContain(`"${t}"`);
    const svgs = (await readdir(join(dir, "svg"))).filter((n) => n.endsWith(".svg"));
    expect(svgs.sort()).toEqual([
      "batch-tasks.svg",
      "composition.svg",
      "coverage.svg",
      "curves.svg",
      "diversity-clusters.svg",
      "diversity-overall.svg",
      "diversity-tasks.svg",
      "projection.svg",
      "rounds.svg",
      "task-curves.svg",
      "window-curves.svg",
      "wsd.svg",
    ]);
    if (hasFont)
      expect((await readdir(join(dir, "png"))).sort()).toEqual(
        svgs.flatMap((s) => [s.replace(".svg", ".png"), s.replace(".svg", ".csv")]).sort(),
      );
    // No temporary files left behind.
    expect((await readdir(join(dir, "report"))).sort()).toEqual(["index.html"]);
  });

  it("usage errors exit 2, bad inputs 1, each with the fix", async () => {
    const dir = await tempDir();
    const noAnalysis = cli(["report", "--out", join(dir, "r.html")]);
    expect(noAnalysis.code).toBe(2);
    expect(noAnalysis.stderr).toMatch(/--analysis/);
    const missing = join(dir, "missing.json");
    const r = cli(["report", "--analysis", missing, "--out", join(dir, "r.html")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/fix: .*analyze --out/);
    const notOne = join(dir, "curves.json");
    await writeFile(notOne, JSON.stringify({ kind: "train-curves" }));
    const wrongKind = cli(["report", "--analysis", notOne, "--out", join(dir, "r.html")]);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toMatch(/not an instruct-arrange analysis \(its kind is "train-curves"\)/);
    const badScale = cli(["report", "--analysis", notOne, "--out", join(dir, "r.html"), "--png-scale", "x"]);
    expect(badScale.code).toBe(2);
    const badMeasure = cli([
      "report",
      "--analysis",
      notOne,
      "--out",
      join(dir, "r.html"),
      "--task-measure",
      "x",
    ]);
    expect(badMeasure.code).toBe(2);
    expect(badMeasure.stderr).toMatch(/cos-avg/);
    const badPanels = cli([
      "report",
      "--analysis",
      notOne,
      "--out",
      join(dir, "r.html"),
      "--max-task-panels",
      "-2",
    ]);
    expect(badPanels.code).toBe(2);
    expect(badPanels.stderr).toMatch(/--max-task-panels/);
    const wrongDiv = cli(["report", "--diversity", notOne, "--out", join(dir, "r.html")]);
    expect(wrongDiv.code).toBe(1);
    expect(wrongDiv.stderr).toContain(notOne);
    expect(wrongDiv.stderr).toMatch(
      /not an instruct-arrange diversity report \(its kind is "train-curves"\)[\s\S]*fix: .*diversity --out/,
    );
    expect(existsSync(join(dir, "r.html"))).toBe(false);
  });
});
