import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveSettings } from "../../src/train/options.js";
import { trainerConfig } from "../../src/train/run.js";

/** The annotated fields of a dataclass in trainer/instruct_trainer/config.py, in order, with whether they have a default. */
function dataclassFields(name: string): { name: string; hasDefault: boolean }[] {
  const source = readFileSync(new URL("../../trainer/instruct_trainer/config.py", import.meta.url), "utf8");
  const body = source.split(`class ${name}:`)[1]!.split(/\n(?=\S)/)[0]!;
  return [...body.matchAll(/^ {4}(\w+): [^=\n]+?( = .+)?$/gm)].map((m) => ({
    name: m[1]!,
    hasDefault: m[2] !== undefined,
  }));
}

describe("trainer-config.json", () => {
  it("gives every field of the Python TrainConfig explicitly, and nothing else", () => {
    const config = trainerConfig(
      resolveSettings({}),
      { train: "t.jsonl", eval: "e.jsonl", runDir: "/r" },
      false,
    );
    const fields = dataclassFields("TrainConfig");
    expect(fields.length).toBeGreaterThan(20);
    const required = fields.filter((f) => !f.hasDefault).map((f) => f.name);
    expect(
      Object.keys(config)
        .filter((k) => k !== "protocol")
        .sort(),
    ).toEqual(required.sort());
    // The one field with a default is not the CLI's (a built-in model's size overrides, for direct use).
    expect(fields.filter((f) => f.hasDefault).map((f) => f.name)).toEqual(["model_config"]);
    expect(config).toMatchObject({
      protocol: 1,
      train: "t.jsonl",
      eval: "e.jsonl",
      out_dir: "/r",
      debug_order: false,
    });
  });
});
