import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_VARIABLES, readSettings } from "../../src/core/settings.js";

const SRC = new URL("../../src/", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("settings from the environment", () => {
  it("reads every variable of the table, an empty value as unset", () => {
    const s = readSettings({
      INSTRUCT_ARRANGE_CACHE_DIR: "/c",
      INSTRUCT_ARRANGE_MODEL_DIR: "",
      INSTRUCT_ARRANGE_PYTHON: "/usr/bin/python3.11",
      XDG_CACHE_HOME: "/x",
      HF_HOME: "/h",
      HF_HUB_CACHE: "/hub",
      HF_ENDPOINT: "http://mirror",
      HF_HUB_OFFLINE: "1",
      PYTHONPATH: "/p",
      DEBUG: "1",
    });
    expect(s).toEqual({
      cacheDir: "/c",
      modelDir: undefined,
      python: "/usr/bin/python3.11",
      xdgCacheHome: "/x",
      hfHome: "/h",
      hfHubCache: "/hub",
      hfEndpoint: "http://mirror",
      hfHubOffline: true,
      pythonPath: "/p",
      debug: true,
    });
    expect(readSettings({ HF_HUB_OFFLINE: "0", DEBUG: "" })).toMatchObject({
      hfHubOffline: false,
      debug: false,
    });
    expect(readSettings({})).toMatchObject({ hfHubOffline: false, debug: false, cacheDir: undefined });
  });

  it("lists each settings field once, under one variable", () => {
    const keys = ENVIRONMENT_VARIABLES.map((v) => v.key).filter((k) => k !== undefined);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(Object.keys(readSettings({})).sort());
  });

  it("is the only module that reads a variable from process.env by name", () => {
    const readers: string[] = [];
    for (const file of sourceFiles(SRC)) {
      if (file.endsWith("core/settings.ts")) continue;
      const text = readFileSync(file, "utf8");
      // process.env.NAME or process.env["NAME"]: a variable read outside the table.
      for (const m of text.matchAll(/process\.env(\.[A-Z_][A-Z0-9_]*|\[["'`])/g))
        readers.push(`${relative(SRC, file)}: ${m[0]}`);
    }
    expect(readers).toEqual([]);
  });
});
