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

  it("reports two arrangements of the bundled example side by side with a run's loss, as HTML, PNG and SVG", async () => {
    const dir = await tempDir();
    const nft = arrangeAndAnalyze(dir, "nft", "nearest-first");
    const fft = arrangeAndAnalyze(dir, "fft", "farthest-first");
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
      /report with 5 charts \(curves, wsd, rounds, projection, coverage\), 3 manifests/,
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
    const svgs = (await readdir(join(dir, "svg"))).filter((n) => n.endsWith(".svg"));
    expect(svgs.sort()).toEqual(["coverage.svg", "curves.svg", "projection.svg", "rounds.svg", "wsd.svg"]);
    if (hasFont)
      expect((await readdir(join(dir, "png"))).sort()).toEqual(
        svgs.map((s) => s.replace(".svg", ".png")).sort(),
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
    expect(existsSync(join(dir, "r.html"))).toBe(false);
  });
});
