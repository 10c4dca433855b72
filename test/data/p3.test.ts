import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/read.js";

const P3 = new URL("../../../shared/data/p3-t0-train", import.meta.url).pathname;
const present = existsSync(P3);
if (!present) console.warn(`p3.test: ${P3} not found; skipping the P3 sample test`);

describe.skipIf(!present)("the P3 sample (shared/data/p3-t0-train)", () => {
  it("reads 294 task files, strips every <|endoftext|> and gives every row a task", async () => {
    const ds = await readDataset(P3, { label: "train" });
    expect(ds.files.length).toBe(294);
    expect(ds.ignoredFiles).toEqual(["README.md"]);
    expect(ds.count).toBe(55_185);
    expect(ds.strippedMarkers).toBe(ds.count);
    expect(ds.texts!.every((t) => !t.includes("<|endoftext|>"))).toBe(true);
    expect(ds.taskSource).toBe("file-name");
    const withRows = ds.files.filter((f) => f.rows > 0);
    expect(withRows.every((f) => f.layout === "prompt-completion")).toBe(true);
    expect(ds.tasks.names.length).toBe(withRows.length);
    expect(ds.tasks.taskOf.length).toBe(ds.count);
    expect(ds.tasks.taskOf.every((t) => t >= 0 && t < ds.tasks.names.length)).toBe(true);
    // Empty template files (the trec_fine_grained_* ones) are listed without rows.
    expect(ds.files.filter((f) => f.rows === 0).every((f) => f.layout === "none" && f.bytes === 0)).toBe(
      true,
    );
    expect(ds.files.reduce((s, f) => s + f.rows, 0)).toBe(ds.count);
  });
});
