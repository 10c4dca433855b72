import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import {
  type ArmSummary,
  armIsSeeded,
  BUILTIN_EXPERIMENTS,
  builtinSpec,
  compareArms,
  type ExperimentRun,
  loadSpec,
  roundGroupRange,
  validateSpec,
} from "../../src/experiment/index.js";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

function caught(f: () => unknown): ArrangeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ArrangeError);
    return e as ArrangeError;
  }
  throw new Error("expected an ArrangeError");
}

describe("experiment specs", () => {
  it("every built-in spec validates, with unique labels and comparisons over its own arms", () => {
    for (const name of BUILTIN_EXPERIMENTS) {
      const spec = validateSpec(builtinSpec(name), name);
      expect(spec.name).toBe(name);
      expect(new Set(spec.arms.map((a) => a.label)).size).toBe(spec.arms.length);
      for (const c of spec.compare ?? [])
        for (const l of c.order) expect(spec.arms.map((a) => a.label)).toContain(l);
    }
    expect(builtinSpec("fig14").arms.map((a) => `${a.label}:${a.select}:${a.order}`)).toEqual([
      "NFT:min+max:nearest-first",
      "RT:min+max:random",
      "FFT:min+max:farthest-first",
      "MIN:min:nearest-first",
      "MAX:max:farthest-first",
    ]);
    expect(builtinSpec("fig3-right").arms.map((a) => a.granularity)).toEqual(["instance", "task"]);
  });

  it("resolves aliases: nft/rt/fft orders, fine/coarse granularity, compare as a bare list", () => {
    const spec = validateSpec(
      {
        name: "mine",
        arms: [
          { label: "A", strategy: "rank", order: "NFT", granularity: "coarse" },
          { label: "B", strategy: "tma", order: "rt" },
        ],
        compare: [["A", "B"]],
      },
      "mine.yaml",
    );
    expect(spec.arms[0]).toEqual({
      label: "A",
      strategy: "rank",
      order: "nearest-first",
      granularity: "task",
    });
    expect(spec.arms[1]!.order).toBe("random");
    expect(spec.compare).toEqual([{ order: ["A", "B"], metric: "area" }]);
  });

  it("keeps a roundRange: the rounds that round-group arms are cut from", () => {
    const spec = validateSpec(
      { ...builtinSpec("fig5"), roundRange: { from: 1, to: 30 } },
      "fig5-first30.json",
    );
    expect(spec.roundRange).toEqual({ from: 1, to: 30 });
  });

  it("withinRound shuffle is kept on TMA arms and makes them seeded", () => {
    const spec = validateSpec(
      {
        name: "w",
        arms: [
          { label: "A", strategy: "tma", order: "fft", withinRound: "shuffle" },
          { label: "B", strategy: "tma", withinRound: "index" },
        ],
      },
      "w.yaml",
    );
    expect(spec.arms.map((a) => a.withinRound)).toEqual(["shuffle", "index"]);
    expect(spec.arms.map(armIsSeeded)).toEqual([true, false]);
  });

  it("names the spec file, the field and the fix for every mistake", () => {
    const base = { name: "x", arms: [{ label: "A", strategy: "rank" }] };
    const cases: [unknown, RegExp, string][] = [
      [
        { ...base, arms: [{ label: "A", strategy: "sideways" }] },
        /unknown strategy "sideways"/,
        "arms[0].strategy",
      ],
      [{ ...base, arms: [{ strategy: "rank" }] }, /arm 0 has no label/, "arms[0].label"],
      [
        { ...base, arms: [{ label: "A", strategy: "rank", colour: 1 }] },
        /unknown field "colour"/,
        "arms[0].colour",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "tma", measure: "wsd" }] },
        /measure applies to strategy rank/,
        "arms[0].measure",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "cluster", order: "nft" }] },
        /order "nft" is not valid/,
        "arms[0].order",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "rank", select: "max" }] },
        /select needs a budget/,
        "arms[0].select",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "rank", rounds: { group: 1 } }] },
        /rounds applies to strategy tma/,
        "arms[0].rounds",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "tma", rounds: { group: 4, of: 3 } }] },
        /rounds must be/,
        "arms[0].rounds",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "tma", budget: 0 }] },
        /budget must be a positive integer/,
        "arms[0].budget",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "rank", withinRound: "shuffle" }] },
        /withinRound shuffle applies to strategy tma/,
        "arms[0].withinRound",
      ],
      [
        { ...base, arms: [{ label: "A", strategy: "tma", withinRound: "sideways" }] },
        /unknown withinRound "sideways"/,
        "arms[0].withinRound",
      ],
      [{ ...base, arms: [base.arms[0], { label: "a", strategy: "tma" }] }, /not unique/, "arms[1].label"],
      [{ ...base, compare: [["A", "Z"]] }, /"Z" is not an arm label/, "compare[0]"],
      [{ ...base, roundRange: { from: 3, to: 2 } }, /roundRange must be \{ from, to \}/, "roundRange"],
      [{ ...base, roundRange: { from: 1 } }, /roundRange must be \{ from, to \}/, "roundRange"],
      [{ name: "x", arms: [] }, /no arms/, "arms"],
      [{ arms: base.arms }, /no name/, "name"],
    ];
    for (const [raw, message, field] of cases) {
      const e = caught(() => validateSpec(raw, "my-spec.yaml"));
      expect(e.message).toMatch(message);
      expect(e.code).toBe("usage");
      expect(e.file).toBe("my-spec.yaml");
      expect(e.option).toBe(field);
      expect(e.fix).toBeTruthy();
      expect(e.describe()).toContain("my-spec.yaml: ");
    }
  });

  it("loads YAML and JSON spec files, reports parse errors with the line, rejects unknown names", async () => {
    const dir = await tempDir();
    const yaml = join(dir, "spec.yaml");
    await writeFile(
      yaml,
      "name: two\narms:\n  - label: NFT\n    strategy: tma\n  - { label: MIN, strategy: tma, budget: M, select: min }\ncompare:\n  - [NFT, MIN]\n",
    );
    const { spec, source } = await loadSpec(yaml);
    expect(source).toBe(yaml);
    expect(spec.arms.map((a) => a.budget)).toEqual([undefined, "M"]);
    const json = join(dir, "spec.json");
    await writeFile(json, '{"name": "j", "arms": [{"label": "A", "strategy": "random"}]}');
    expect((await loadSpec(json)).spec.arms[0]!.strategy).toBe("random");
    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "name: b\narms:\n  - label: [unclosed\n");
    await expect(loadSpec(broken)).rejects.toMatchObject({ file: broken, line: expect.any(Number) });
    await expect(loadSpec("fig99")).rejects.toThrow(/unknown experiment "fig99"/);
    await expect(loadSpec(join(dir, "missing.yaml"))).rejects.toMatchObject({ code: "io" });
    expect((await loadSpec("fig4")).spec.arms.map((a) => a.label)).toEqual(["NFT", "RT", "FFT"]);
  });
});

describe("round groups and verdicts", () => {
  it("cuts rounds 1..N into contiguous groups covering every round once", () => {
    for (const [n, of] of [
      [13, 3],
      [30, 6],
      [2, 3],
      [7, 1],
    ] as const) {
      const groups = Array.from({ length: of }, (_, g) => roundGroupRange(n, g + 1, of));
      const covered = groups.flatMap((r) =>
        Array.from({ length: Math.max(0, r.to - r.from + 1) }, (_, i) => r.from + i),
      );
      expect(covered).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
    expect(roundGroupRange(30, 1, 6)).toEqual({ from: 1, to: 5 });
    expect(roundGroupRange(30, 6, 6)).toEqual({ from: 26, to: 30 });
  });

  it("computes whether the means and each seed follow the stated order", () => {
    const area = (mean: number) => ({ mean, std: 0 });
    const summary = [
      { label: "NFT", area: area(1), finalLoss: area(3) },
      { label: "RT", area: area(2), finalLoss: area(2) },
      { label: "FFT", area: area(3), finalLoss: area(1) },
    ] as ArmSummary[];
    const runs = [
      ["NFT", 0, 1.0],
      ["RT", 0, 2.0],
      ["FFT", 0, 3.0],
      ["NFT", 1, 1.5],
      ["RT", 1, 1.4],
      ["FFT", 1, 3.0],
    ].map(([arm, seed, a]) => ({ arm, seed, area: a, finalLoss: 0 }) as ExperimentRun);
    const c = compareArms({ order: ["NFT", "RT", "FFT"] }, summary, runs, [0, 1])!;
    expect(c).toMatchObject({ statement: "NFT < RT < FFT", holdsOnMeans: true, seeds: 2, seedsHolding: 1 });
    expect(c.perSeed.map((p) => p.holds)).toEqual([true, false]);
    const f = compareArms({ order: ["NFT", "FFT"], metric: "finalLoss" }, summary, runs, [0, 1])!;
    expect(f.holdsOnMeans).toBe(false);
    expect(compareArms({ order: ["NFT", "MAX"] }, summary, runs, [0, 1])).toBeUndefined();
  });
});

describe("experiment CLI (specs)", () => {
  requireBuiltCli();
  it("rejects a spec file with an unknown strategy: exit 2, naming the file and the fix", async () => {
    const dir = await tempDir();
    const spec = join(dir, "bad.yaml");
    await writeFile(spec, "name: bad\narms:\n  - label: X\n    strategy: sideways\n");
    const r = cli([
      "experiment",
      spec,
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(dir, "o"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(spec);
    expect(r.stderr).toMatch(/unknown strategy "sideways"/);
    expect(r.stderr).toMatch(/fix: Expected one of: tma, rank, random, round-robin, cluster/);
    const unknown = cli(["experiment", "fig99", "--out", join(dir, "o")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/fig2, fig3-left, fig3-right, fig4, fig5, fig14/);
    const arms = cli([
      "experiment",
      "fig4",
      "--train",
      EXAMPLE_TRAIN,
      "--test",
      EXAMPLE_TEST,
      "--out",
      join(dir, "o"),
      "--arms",
      "NFT,MAX",
    ]);
    expect(arms.code).toBe(2);
    expect(arms.stderr).toMatch(/no arm "MAX"/);
  });
});
