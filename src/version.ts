import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function findVersion(): string {
  // dist/src/version.js and src/version.ts both sit two levels below the package root at most.
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === "instruct-arrange" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // try the next location
    }
  }
  return "0.0.0";
}

export const VERSION: string = findVersion();
