import type { CoverageRow } from "./types.js";

/** Unflagged test rows that still get snippets: those whose nearest training row is most similar. */
export const SNIPPET_CLOSEST = 20;

/** The start of a text for a table cell: whitespace runs become one space, at most `chars` code points. */
export function snippet(text: string, chars: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const points = Array.from(flat);
  return points.length <= chars
    ? flat
    : `${points
        .slice(0, Math.max(0, chars - 1))
        .join("")
        .trimEnd()}…`;
}

/**
 * Add text snippets to the coverage rows a contamination table shows: every flagged row and the
 * `closest` rows with the highest nearest-neighbour similarity (ties: lower test row), each with its
 * nearest training rows. `chars` 0 adds none.
 */
export function addSnippets(
  rows: CoverageRow[],
  trainTexts: readonly string[],
  testTexts: readonly string[],
  chars: number,
  closest = SNIPPET_CLOSEST,
): void {
  if (chars <= 0) return;
  const best = (r: CoverageRow) => r.nearest[0]?.similarity ?? Number.NEGATIVE_INFINITY;
  const shown = new Set(rows.filter((r) => r.flagged).map((r) => r.test));
  const ranked = rows
    .filter((r) => !r.flagged && r.nearest.length > 0)
    .sort((a, b) => best(b) - best(a) || a.test - b.test);
  for (const r of ranked.slice(0, closest)) shown.add(r.test);
  for (const r of rows) {
    if (!shown.has(r.test)) continue;
    r.snippet = snippet(testTexts[r.test] ?? "", chars);
    for (const n of r.nearest) n.snippet = snippet(trainTexts[n.train] ?? "", chars);
  }
}
