/**
 * A task's template wording, found from its rows alone: the word n-grams that occur in at least a share of
 * the task's prompts (P3 writes every row of a template file with the same wording around different
 * passages, questions and options). Stripping them leaves a prompt's own content: the plain text that
 * `pretrain-text` turns into a pretraining corpus without any template.
 *
 * Words are the whitespace-separated pieces of a prompt, compared in lower case. A line break is a word of its
 * own, and so are the prompt's start and end; none of them is ever output. Besides every n-gram, the
 * 2-grams that hold a line break, the start or the end count too, so that a template's one-word line
 * ("Summary:" after the passage, "Q:" before the question) is found although each of its n-grams holds
 * words of the content.
 */

const BREAK = "\n";
const START = "\u0002";
const END = "\u0003";
const SEP = "\u0001";
const boundary = (w: string) => w === BREAK || w === START || w === END;

/** The words of a prompt: its lines' whitespace-separated pieces, a BREAK between two lines. */
export function words(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    if (l > 0) out.push(BREAK);
    for (const w of lines[l]!.split(/\s+/)) if (w !== "") out.push(w);
  }
  return out;
}

/** The template-wording keys of a word sequence, with the start and length of the span each covers. */
function gramSpans(
  ws: readonly string[],
  n: number,
  boundaryPairs = true,
): { key: string; at: number; length: number }[] {
  const lower = [START, ...ws.map((w) => w.toLowerCase()), END];
  const out: { key: string; at: number; length: number }[] = [];
  for (let i = 0; i + n <= lower.length; i++)
    out.push({ key: lower.slice(i, i + n).join(SEP), at: i - 1, length: n });
  if (n > 2 && boundaryPairs)
    for (let i = 0; i + 2 <= lower.length; i++)
      if (boundary(lower[i]!) || boundary(lower[i + 1]!))
        out.push({ key: `${lower[i]}${SEP}${lower[i + 1]}`, at: i - 1, length: 2 });
  return out;
}

function gramKeys(ws: readonly string[], n: number, boundaryPairs = true): string[] {
  return gramSpans(ws, n, boundaryPairs).map((g) => g.key);
}

/**
 * The n-grams in at least `share` of `prompts` (counted once per prompt): the template's wording. Without
 * `boundaryPairs` only the n-grams themselves count (the 2-grams at a break, "\\n the", are too common to
 * say that a text holds another template's wording).
 */
export function templateGrams(
  prompts: readonly string[],
  n: number,
  share: number,
  boundaryPairs = true,
): Set<string> {
  const df = new Map<string, number>();
  for (const p of prompts)
    for (const k of new Set(gramKeys(words(p), n, boundaryPairs))) df.set(k, (df.get(k) ?? 0) + 1);
  const need = Math.max(1, Math.ceil(share * prompts.length));
  const out = new Set<string>();
  for (const [k, c] of df) if (c >= need) out.add(k);
  return out;
}

/**
 * The prompt without its template: every word covered by an n-gram of `grams` is removed, the rest kept in
 * order, the words of a line joined by one space and the non-empty lines by line breaks. Also returns how
 * many words were removed of how many.
 */
export function stripTemplate(
  prompt: string,
  grams: ReadonlySet<string>,
  n: number,
): { text: string; removed: number; words: number } {
  const ws = words(prompt);
  const cut = new Uint8Array(ws.length);
  // Spans are over [START, ...ws, END]: `at` is the first covered word's index in ws (-1 = START).
  for (const g of gramSpans(ws, n))
    if (grams.has(g.key)) cut.fill(1, Math.max(0, g.at), Math.min(ws.length, g.at + g.length));
  const lines: string[] = [];
  let line: string[] = [];
  let removed = 0;
  let total = 0;
  for (let i = 0; i <= ws.length; i++) {
    const w = ws[i];
    if (w === undefined || w === BREAK) {
      if (line.length > 0) lines.push(line.join(" "));
      line = [];
      continue;
    }
    total++;
    if (cut[i] === 1) removed++;
    else line.push(w);
  }
  return { text: lines.join("\n"), removed, words: total };
}

/**
 * The n-grams of `grams` that occur in `text`, for counting a template's wording left in a corpus;
 * `boundaryPairs` as the `templateGrams` call that made `grams`.
 */
export function gramsIn(
  text: string,
  grams: { has(key: string): boolean },
  n: number,
  boundaryPairs = true,
): string[] {
  const found = new Set<string>();
  for (const k of gramKeys(words(text), n, boundaryPairs)) if (grams.has(k)) found.add(k);
  return [...found];
}

/** An n-gram key as words separated by spaces (a line break as "\\n"), for reports. */
export function gramText(key: string): string {
  return key
    .split(SEP)
    .map((w) => (w === BREAK ? "\\n" : w === START ? "(start)" : w === END ? "(end)" : w))
    .join(" ");
}

/** The lower-cased word n-grams of a text, line breaks left out (for long-span overlap checks). */
export function spanKeys(text: string, n: number): string[] {
  const ws = words(text)
    .filter((w) => w !== BREAK)
    .map((w) => w.toLowerCase());
  const keys: string[] = [];
  for (let i = 0; i + n <= ws.length; i++) keys.push(ws.slice(i, i + n).join(SEP));
  return keys;
}
