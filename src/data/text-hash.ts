/**
 * A 64-bit hash (two 32-bit halves) of a text after whitespace normalization: runs of whitespace (as
 * JavaScript's \s) count as one space and leading/trailing whitespace is ignored, so "a  b\n" and "a b" hash
 * alike. Computed in one pass without building the normalized string. Used to find training rows that copy a
 * test row; a match is confirmed on the texts wherever both are in memory.
 */
export function textHash(text: string, out: Uint32Array, at: number): void {
  let h1 = 0x811c9dc5; // FNV-1a offset basis
  let h2 = 0x9747b28c;
  let pendingSpace = false;
  let started = false;
  let emitted = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (started) pendingSpace = true;
      continue;
    }
    if (pendingSpace) {
      h1 = Math.imul(h1 ^ 32, 0x01000193);
      h2 = mix(h2, 32);
      pendingSpace = false;
      emitted++;
    }
    started = true;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = mix(h2, c);
    emitted++;
  }
  h2 ^= emitted;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  out[at] = h1 >>> 0;
  out[at + 1] = h2 >>> 0;
}

function mix(h: number, c: number): number {
  let k = Math.imul(c, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  const x = h ^ k;
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
}

/** JavaScript's \s: ASCII whitespace, NBSP, the Unicode space separators, line/paragraph separators, BOM. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The text as the overlap check compares it: whitespace runs as one space, trimmed. */
export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
