import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Vitest global setup: every test (and every CLI it spawns) uses a fresh embedding cache directory under
 * the system temp directory, never the user's ~/.cache; it is removed when the run ends.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "ia-test-cache-"));
  process.env.INSTRUCT_ARRANGE_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
