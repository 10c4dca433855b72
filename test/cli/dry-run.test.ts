import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, requireBuiltCli } from "../helpers/cli.js";
import { arrangeArgs } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";

describe("arrange --dry-run", () => {
  requireBuiltCli();
  it("prints what it would read, memory by stage and a probed time estimate; exits 0 and writes nothing", async () => {
    const dir = await tempDir();
    const out = join(dir, "sub", "arranged.jsonl");
    const r = cli(arrangeArgs(out, { metadata: join(dir, "sub", "meta.jsonl"), extra: ["--dry-run"] }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("nothing will be written");
    expect(r.stdout).toMatch(/train data: 49 files/);
    expect(r.stdout).toMatch(/distances\+tma +[\d.]+ MiB +[\d.]+ s +full-matrix TMA/);
    expect(r.stdout).toMatch(/probe: streaming TMA on 1200 training rows × 152 test rows/);
    expect(r.stdout).toMatch(/peak memory ≈/);
    expect(existsSync(join(dir, "sub"))).toBe(false);
    // A memory limit under the matrix: the plan is the streaming engine's, bounded by the limit.
    const s = cli(arrangeArgs(out, { extra: ["--memory-limit", "0.0005", "--dry-run"] }));
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/streaming TMA: one block of \d+ rows/);
    expect(existsSync(join(dir, "sub"))).toBe(false);
  });
});
