import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/data/npy.js";
import { diversity } from "../../src/pipeline/diversity.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

requireBuiltCli();

describe("diversity on precomputed embeddings (hand-computed)", () => {
  it("overall and per task; skipped rows drop their embedding row", async () => {
    const dir = await tempDir("div-");
    // Task "same": three copies of (1, 0). Task "spread": (0, 1), (-1, 0), (0, -1). One malformed line skipped.
    const rows = [
      { instruction: "a", output: "1", task: "same" },
      { instruction: "b", output: "2", task: "same" },
      null,
      { instruction: "c", output: "3", task: "same" },
      { instruction: "d", output: "4", task: "spread" },
      { instruction: "e", output: "5", task: "spread" },
      { instruction: "f", output: "6", task: "spread" },
    ];
    await writeFile(
      join(dir, "d.jsonl"),
      rows.map((r) => (r === null ? "{broken" : JSON.stringify(r))).join("\n"),
    );
    const emb = [1, 0, 1, 0, 9, 9, 1, 0, 0, 1, -1, 0, 0, -1];
    await writeNpy(join(dir, "d.npy"), { data: Float32Array.from(emb), rows: 7, cols: 2 });
    const out = join(dir, "div.json");
    const r = await diversity({
      input: join(dir, "d.jsonl"),
      embeddings: join(dir, "d.npy"),
      skipInvalid: true,
      clusters: 4,
      out,
      engine: "ts",
    });
    expect(r.input.rows).toBe(6);
    expect(r.perTask.same).toMatchObject({ rows: 3, vendi: expect.closeTo(1, 6), clusters: { used: 1 } });
    expect(r.perTask.same!.meanPairwiseCosineDistance).toBeCloseTo(0, 9);
    expect(r.perTask.spread!.meanPairwiseCosineDistance).toBeCloseTo(4 / 3, 9);
    // Overall: directions 0° ×3, 90°, 180°, 270°. K/6 has the non-zero eigenvalues of XᵀX/6, which is diagonal:
    // x-coordinates 1, 1, 1, 0, -1, 0 give 4/6, y-coordinates 0, 0, 0, 1, 0, -1 give 2/6.
    const h = -((4 / 6) * Math.log(4 / 6) + (2 / 6) * Math.log(2 / 6));
    expect(r.overall.vendi).toBeCloseTo(Math.exp(h), 6);
    expect(r.overall.clusters.k).toBe(4);
    expect(r.overall.clusters.used).toBe(4);
    // Mean pairwise cosine distance: ‖S‖² = (2)² + 0² = 4, Σ‖u‖² = 6 -> 1 − (4 − 6)/30.
    expect(r.overall.meanPairwiseCosineDistance).toBeCloseTo(1 + 2 / 30, 9);
    const json = JSON.parse(await readFile(out, "utf8"));
    expect(json.embedder).toEqual({ id: "precomputed", dims: 2 });
    expect(Object.keys(json.perTask)).toEqual(["same", "spread"]);
  });
});

describe("instruct-arrange diversity", () => {
  it("measures the bundled example with ngram embeddings, the same numbers on a rerun", async () => {
    const dir = await tempDir("div-cli-");
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    const r = cli(["diversity", "--input", EXAMPLE_TRAIN, "--embedder", "ngram", "--out", a, "--seed", "3"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1200 rows, 49 tasks: \d+ of 24 clusters used/);
    expect(
      cli(["diversity", "--input", EXAMPLE_TRAIN, "--embedder", "ngram", "--out", b, "--seed", "3"]).code,
    ).toBe(0);
    const ja = JSON.parse(await readFile(a, "utf8"));
    const jb = JSON.parse(await readFile(b, "utf8"));
    delete ja.timings;
    delete jb.timings;
    expect(ja).toEqual(jb);
    expect(Object.keys(ja.perTask)).toHaveLength(49);
    expect(ja.overall.clusters.sizes.reduce((s: number, v: number) => s + v, 0)).toBe(1200);
    expect(ja.overall.vendi).toBeGreaterThan(1);
    for (const t of Object.values(ja.perTask) as { vendi: number; rows: number }[])
      expect(t.vendi).toBeLessThanOrEqual(t.rows + 1e-6);
  });

  it("usage errors exit 2", async () => {
    const dir = await tempDir("div-cli-");
    const r = cli(["diversity", "--input", EXAMPLE_TRAIN, "--out", join(dir, "x.json"), "--clusters", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--clusters");
  });
});
