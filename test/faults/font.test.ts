import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkFontDraws, FONT_CANDIDATES } from "../../src/report/render.js";
import { analyzedFixture } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/tmp.js";
import { runCli } from "./helpers-writes.js";

// A --font that cannot draw text is an error before anything is written, not PNGs without text.

const REAL_FONT = FONT_CANDIDATES.find((f) => existsSync(f));
let dir: string;

beforeAll(async () => {
  dir = await tempDir("ia-font-");
  await analyzedFixture(dir, runCli);
});

describe("report --font", () => {
  const junk: Record<string, () => Buffer> = {
    "random bytes": () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 73 + 11) % 256)),
    "a text file": () => Buffer.from("this is not a font\n".repeat(50)),
    "a truncated font": () => readFileSync(REAL_FONT!).subarray(0, 2000),
  };
  for (const [name, bytes] of Object.entries(junk)) {
    it(`${name}: exit 1 naming the font, no PNG, no page`, async (ctx) => {
      if (name === "a truncated font" && REAL_FONT === undefined) {
        console.warn("skipped: no system font to truncate");
        ctx.skip();
        return;
      }
      const font = join(dir, `${name.replaceAll(" ", "-")}.ttf`);
      writeFileSync(font, bytes());
      const out = join(dir, `out-${name.replaceAll(" ", "-")}`);
      const r = await runCli([
        "report",
        "--analysis",
        join(dir, "an.json"),
        "--out",
        join(out, "r.html"),
        "--png-dir",
        join(out, "png"),
        "--font",
        font,
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(font);
      expect(r.stderr).toMatch(/--font/);
      expect(existsSync(join(out, "r.html"))).toBe(false);
      expect(existsSync(join(out, "png")) ? readdirSync(join(out, "png")) : []).toEqual([]);
    });
  }

  it("a real font draws (the check passes)", (ctx) => {
    if (REAL_FONT === undefined) {
      console.warn("skipped: no system font");
      ctx.skip();
      return;
    }
    expect(() => checkFontDraws(REAL_FONT)).not.toThrow();
  });
});
