import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { BEGIN, END, expectedPages, handWrittenOptionTables, stalePages } from "../../scripts/docs.js";
import { ROOT } from "../helpers/cli.js";

/** Written on another branch of the same restructuring; checked like any page once it is there. */
const PENDING = new Set(["docs/architecture.md"]);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : path.endsWith(".md") ? [path] : [];
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let code = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) code = !code;
    const m = /^#{1,6} (.*)$/.exec(line);
    if (m && !code)
      out.add(
        m[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{N}_\- ]/gu, "")
          .replaceAll(" ", "-"),
      );
  }
  return out;
}

describe("docs", () => {
  it("every page's option table is what `npm run docs` generates from the CLI definitions", () => {
    // A failure here means a flag changed without its page: run `npm run docs` and commit docs/commands/.
    expect(stalePages(ROOT)).toEqual([]);
  });

  it("no page has a hand-written option table besides the generated one", () => {
    expect(handWrittenOptionTables(expectedPages(ROOT))).toEqual([]);
    // The check finds one: a table before the generated block, not the generated table itself.
    const page = `# x\n\n| Option | meaning |\n|---|---|\n| \`--a\` | b |\n\n${BEGIN}\n| Option | Default | Description |\n${END}\n`;
    expect(handWrittenOptionTables([["x.md", page]])).toEqual(["x.md:3"]);
  });

  it("every relative link of the README, docs/ and results/ names a file and a heading that exist", () => {
    const files = [
      join(ROOT, "README.md"),
      ...markdownFiles(join(ROOT, "docs")),
      ...readdirSync(join(ROOT, "results"))
        .map((d) => join(ROOT, "results", d, "README.md"))
        .filter(existsSync),
    ];
    const dead: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z]+:/.test(link)) continue;
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path === "" ? file : join(dirname(file), path);
        const name = relative(ROOT, target);
        if (!existsSync(target)) {
          if (!PENDING.has(name)) dead.push(`${relative(ROOT, file)}: ${link}`);
          continue;
        }
        if (anchor !== undefined && !anchors(target).has(anchor))
          dead.push(`${relative(ROOT, file)}: ${link}`);
      }
    }
    expect(dead).toEqual([]);
  });
});
