/**
 * The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980) with the
 * departures NLTK makes in its default `NLTK_EXTENSIONS` mode, which is what Google's `rouge-score`
 * applies with `use_stemmer=True`. Written here from the published algorithm and the documented list of
 * NLTK's changes; it is checked word for word against NLTK itself in the tests.
 *
 * NLTK's departures from the 1980 paper:
 *  - a few irregular forms map directly (skies → sky, dying → die, news → news, proceed → proceed, ...);
 *  - words of one or two letters are left alone;
 *  - step 1a: a four-letter word ending in "ies" becomes "…ie" (ties → tie), not "…i";
 *  - step 1b: "ied" becomes "ie" in a four-letter word and "i" otherwise (died → die, spied → spi);
 *  - step 1c: "y" → "i" only after a consonant that is not the first letter (the paper: after any vowel
 *    in the stem), so "days" keeps its y;
 *  - step 2: "alli" → "al" is tried first and, when it applies, step 2 runs again on the result; the
 *    rule "bli" → "ble" replaces "abli" → "able"; "fulli" → "ful" and "logi" → "log" (with the measure
 *    taken over the stem including the "l") are added;
 *  - "*o" (ends consonant-vowel-consonant) also holds for a two-letter stem vowel-consonant.
 *
 * Input is expected lower-case (rouge-score lower-cases first); any letter other than a, e, i, o, u and y
 * counts as a consonant, as do digits.
 */

const IRREGULAR: ReadonlyMap<string, string> = new Map([
  ["sky", "sky"],
  ["skies", "sky"],
  ["dying", "die"],
  ["lying", "lie"],
  ["tying", "tie"],
  ["news", "news"],
  ["innings", "inning"],
  ["inning", "inning"],
  ["outings", "outing"],
  ["outing", "outing"],
  ["cannings", "canning"],
  ["canning", "canning"],
  ["howe", "howe"],
  ["proceed", "proceed"],
  ["exceed", "exceed"],
  ["succeed", "succeed"],
]);

function isVowelLetter(c: string): boolean {
  return c === "a" || c === "e" || c === "i" || c === "o" || c === "u";
}

/** Whether w[i] is a consonant: not a, e, i, o, u, and y only when it follows a vowel or starts the word. */
function consonantAt(w: string, i: number): boolean {
  const c = w[i]!;
  if (isVowelLetter(c)) return false;
  if (c === "y") return i === 0 ? true : !consonantAt(w, i - 1);
  return true;
}

/** m in [C](VC)^m[V]: the number of vowel-to-consonant transitions. */
function measure(stem: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const vowel = !consonantAt(stem, i);
    if (prevVowel && !vowel) m++;
    prevVowel = vowel;
  }
  return m;
}

function hasVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!consonantAt(stem, i)) return true;
  return false;
}

/** *d: ends with a double consonant. */
function endsDoubleConsonant(w: string): boolean {
  const n = w.length;
  return n >= 2 && w[n - 1] === w[n - 2] && consonantAt(w, n - 1);
}

/** *o: ends consonant-vowel-consonant, the last not w, x or y (NLTK: or is a two-letter vowel-consonant). */
function endsCvc(w: string): boolean {
  const n = w.length;
  if (n >= 3) {
    const last = w[n - 1]!;
    if (
      consonantAt(w, n - 3) &&
      !consonantAt(w, n - 2) &&
      consonantAt(w, n - 1) &&
      last !== "w" &&
      last !== "x" &&
      last !== "y"
    )
      return true;
  }
  return n === 2 && !consonantAt(w, 0) && consonantAt(w, 1);
}

/** A rule: when the word ends in `suffix`, replace it by `to` if `when(stem)` holds for the rest. */
type Rule = readonly [suffix: string, to: string, when?: (stem: string) => boolean];

const mPositive = (s: string): boolean => measure(s) > 0;
const mAboveOne = (s: string): boolean => measure(s) > 1;

/**
 * The first rule whose suffix ends the word decides: applied when its condition holds, otherwise the
 * word is returned unchanged (later rules are not tried).
 */
function firstRule(word: string, rules: readonly Rule[]): string {
  for (const [suffix, to, when] of rules) {
    if (!word.endsWith(suffix)) continue;
    const stem = word.slice(0, word.length - suffix.length);
    return when === undefined || when(stem) ? stem + to : word;
  }
  return word;
}

function step1a(w: string): string {
  if (w.length === 4 && w.endsWith("ies")) return `${w.slice(0, 1)}ie`;
  return firstRule(w, [
    ["sses", "ss"],
    ["ies", "i"],
    ["ss", "ss"],
    ["s", ""],
  ]);
}

function step1b(w: string): string {
  if (w.endsWith("ied")) return w.length === 4 ? `${w.slice(0, 1)}ie` : `${w.slice(0, -3)}i`;
  if (w.endsWith("eed")) {
    const stem = w.slice(0, -3);
    return measure(stem) > 0 ? `${stem}ee` : w;
  }
  let stem: string | undefined;
  for (const suffix of ["ed", "ing"]) {
    if (w.endsWith(suffix) && hasVowel(w.slice(0, -suffix.length))) {
      stem = w.slice(0, -suffix.length);
      break;
    }
  }
  if (stem === undefined) return w;
  if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) return `${stem}e`;
  if (endsDoubleConsonant(stem)) {
    const last = stem[stem.length - 1]!;
    return last === "l" || last === "s" || last === "z" ? stem : stem.slice(0, -1);
  }
  return measure(stem) === 1 && endsCvc(stem) ? `${stem}e` : stem;
}

function step1c(w: string): string {
  if (!w.endsWith("y")) return w;
  const stem = w.slice(0, -1);
  return stem.length > 1 && consonantAt(stem, stem.length - 1) ? `${stem}i` : w;
}

function step2(w: string): string {
  if (w.endsWith("alli") && mPositive(w.slice(0, -4))) return step2(`${w.slice(0, -4)}al`);
  return firstRule(w, [
    ["ational", "ate", mPositive],
    ["tional", "tion", mPositive],
    ["enci", "ence", mPositive],
    ["anci", "ance", mPositive],
    ["izer", "ize", mPositive],
    ["bli", "ble", mPositive],
    ["alli", "al", mPositive],
    ["entli", "ent", mPositive],
    ["eli", "e", mPositive],
    ["ousli", "ous", mPositive],
    ["ization", "ize", mPositive],
    ["ation", "ate", mPositive],
    ["ator", "ate", mPositive],
    ["alism", "al", mPositive],
    ["iveness", "ive", mPositive],
    ["fulness", "ful", mPositive],
    ["ousness", "ous", mPositive],
    ["aliti", "al", mPositive],
    ["iviti", "ive", mPositive],
    ["biliti", "ble", mPositive],
    ["fulli", "ful", mPositive],
    // The "l" counts with the stem, so that short stems (geo-logi, theo-logi) qualify.
    ["logi", "log", (stem) => mPositive(`${stem}l`)],
  ]);
}

function step3(w: string): string {
  return firstRule(w, [
    ["icate", "ic", mPositive],
    ["ative", "", mPositive],
    ["alize", "al", mPositive],
    ["iciti", "ic", mPositive],
    ["ical", "ic", mPositive],
    ["ful", "", mPositive],
    ["ness", "", mPositive],
  ]);
}

function step4(w: string): string {
  return firstRule(w, [
    ["al", "", mAboveOne],
    ["ance", "", mAboveOne],
    ["ence", "", mAboveOne],
    ["er", "", mAboveOne],
    ["ic", "", mAboveOne],
    ["able", "", mAboveOne],
    ["ible", "", mAboveOne],
    ["ant", "", mAboveOne],
    ["ement", "", mAboveOne],
    ["ment", "", mAboveOne],
    ["ent", "", mAboveOne],
    ["ion", "", (s) => mAboveOne(s) && (s.endsWith("s") || s.endsWith("t"))],
    ["ou", "", mAboveOne],
    ["ism", "", mAboveOne],
    ["ate", "", mAboveOne],
    ["iti", "", mAboveOne],
    ["ous", "", mAboveOne],
    ["ive", "", mAboveOne],
    ["ize", "", mAboveOne],
  ]);
}

function step5a(w: string): string {
  if (!w.endsWith("e")) return w;
  const stem = w.slice(0, -1);
  const m = measure(stem);
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : w;
}

function step5b(w: string): string {
  return w.endsWith("ll") && measure(w.slice(0, -1)) > 1 ? w.slice(0, -1) : w;
}

/** The stem of a lower-case word, as NLTK's `PorterStemmer()` (NLTK_EXTENSIONS mode) gives it. */
export function porterStem(word: string): string {
  const irregular = IRREGULAR.get(word);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return word;
  return step5b(step5a(step4(step3(step2(step1c(step1b(step1a(word))))))));
}
