import { usageError } from "../core/errors.js";
import { createRng, type Rng, shuffleInPlace } from "../core/rng.js";

/**
 * The synthetic instruction-following task of Only-IF (arXiv 2410.04717): a rule `x -> y` and a string `z`;
 * the answer is `z` with the leftmost occurrence of `x` replaced by `y`, or `z` unchanged when `x` does not
 * occur (a "no-op"). Pure and deterministic: the same options and seed give the same examples.
 */

/** How a rule's pattern and replacement are shaped ("semantic domains" of the rules). */
export type RewriteDomain = "repeated" | "periodic" | "mirrored" | "unconstrained";
export const REWRITE_DOMAINS: readonly RewriteDomain[] = [
  "repeated",
  "periodic",
  "mirrored",
  "unconstrained",
];

/** Which part of a test rule must be absent from the training rules. */
export type UnseenMode = "pattern" | "rule";
export const UNSEEN_MODES: readonly UnseenMode[] = ["pattern", "rule"];

export interface RewriteOptions {
  /** Letters used: the first `alphabet` lowercase letters, 2..26. */
  alphabet: number;
  /** Inclusive [min, max] length of the string z. */
  stringLength: readonly [number, number];
  /** Inclusive [min, max] length of the pattern x and of the replacement y. */
  patternLength: readonly [number, number];
  /** Number of distinct training rules I. */
  rules: number;
  /** Total training examples N (every rule gets at least one; see `ruleCounts`). */
  budget: number;
  /** Share of examples, in [0, 1], whose string does not contain the pattern (exactly round(share · count)). */
  noopShare: number;
  /** Rule frequency ∝ (rank + 1)^-alpha; 0 = uniform. */
  powerLaw: number;
  /** Domains of the training rules, assigned in turn (rule r gets domains[r mod D]). */
  domains: readonly RewriteDomain[];
  /** Domains of the test rules (default: the training domains). */
  testDomains: readonly RewriteDomain[];
  /** Number of distinct test rules, none of them a training rule. */
  testRules: number;
  /** Test examples per test rule. */
  testPerRule: number;
  /** "pattern" (default): a test rule's x is not the x of any training rule; "rule": only the pair x -> y is new. */
  unseen: UnseenMode;
  seed: number;
  /**
   * Draw the test rules first, from the seed and the test options alone, so that the test set is the same
   * for every --rules and --budget (the training rules then avoid the test patterns, or pairs with
   * `unseen: "rule"`). Default false: training rules first (the original draw; outputs unchanged).
   */
  testFirst?: boolean;
  /** Extra examples of the training rules with fresh strings (`RewriteSet.seenTest`), rule k mod I; default 0. */
  seenTest?: number;
}

export const REWRITE_DEFAULTS: Omit<RewriteOptions, "testDomains"> = {
  alphabet: 26,
  stringLength: [8, 20],
  patternLength: [3, 6],
  rules: 100,
  budget: 10_000,
  noopShare: 0.2,
  powerLaw: 0,
  domains: REWRITE_DOMAINS,
  testRules: 100,
  testPerRule: 10,
  unseen: "pattern",
  seed: 0,
};

export interface RewriteRule {
  x: string;
  y: string;
  domain: RewriteDomain;
}

export interface RewriteExample {
  /** Index of the rule in its split's rule list. */
  rule: number;
  x: string;
  y: string;
  z: string;
  answer: string;
  domain: RewriteDomain;
  /** True when x does not occur in z (then answer = z). */
  noop: boolean;
}

export interface RewriteSet {
  trainRules: (RewriteRule & { examples: number })[];
  testRules: (RewriteRule & { examples: number })[];
  /** Training examples, shuffled. */
  train: RewriteExample[];
  /** Test examples, shuffled. */
  test: RewriteExample[];
  /** Fresh examples of training rules (`seenTest` of them; empty when 0), shuffled. */
  seenTest: RewriteExample[];
}

/** `z` with the leftmost occurrence of `x` (the one starting earliest) replaced by `y`; `z` itself when x is absent. */
export function applyRule(z: string, x: string, y: string): string {
  if (x.length === 0) throw new RangeError("the pattern of a rewrite rule must not be empty");
  const at = z.indexOf(x);
  return at < 0 ? z : z.slice(0, at) + y + z.slice(at + x.length);
}

/** The fixed instruction of a rule (the string goes in the record's `input`). */
export function rewriteInstruction(x: string, y: string): string {
  return (
    `Apply the rewrite rule "${x}" -> "${y}" to the input string: replace the leftmost occurrence of "${x}" ` +
    `(the one that starts first, reading from the left) with "${y}" and change nothing else. ` +
    `If "${x}" does not occur in the string, answer with the string unchanged.`
  );
}

/** The template `rewriteInstruction` fills, as documented in the manifest and README. */
export const REWRITE_TEMPLATE =
  'Apply the rewrite rule "{x}" -> "{y}" to the input string: replace the leftmost occurrence of "{x}" ' +
  '(the one that starts first, reading from the left) with "{y}" and change nothing else. ' +
  'If "{x}" does not occur in the string, answer with the string unchanged.';

/** How a record states its rule: the full sentence (default) or just `rewrite x -> y` (short prompts). */
export type RewriteInstructionStyle = "full" | "compact";
export const REWRITE_INSTRUCTION_STYLES: readonly RewriteInstructionStyle[] = ["full", "compact"];

/** The compact instruction: `rewrite x -> y` (the string goes in the record's `input`). */
export function compactInstruction(x: string, y: string): string {
  return `rewrite ${x} -> ${y}`;
}

/** One example as a JSONL record in the alpaca layout; `task` is the rule's domain. */
export function rewriteRecord(
  e: RewriteExample,
  style: RewriteInstructionStyle = "full",
): Record<string, unknown> {
  return {
    instruction: style === "compact" ? compactInstruction(e.x, e.y) : rewriteInstruction(e.x, e.y),
    input: e.z,
    output: e.answer,
    task: e.domain,
    rule: `${e.x}->${e.y}`,
    noop: e.noop,
  };
}

function letter(rng: Rng, alphabet: number): string {
  return String.fromCharCode(97 + rng.int(alphabet));
}

/** A letter other than `not` (alphabet >= 2). */
function otherLetter(rng: Rng, alphabet: number, not: string): string {
  const k = rng.int(alphabet - 1);
  const c = 97 + k;
  return String.fromCharCode(c >= not.charCodeAt(0) ? c + 1 : c);
}

function randomString(rng: Rng, alphabet: number, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += letter(rng, alphabet);
  return s;
}

function between(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

/**
 * A string of the given length in a domain:
 * - repeated: runs of one letter, each at least 2 long when the length allows (e.g. `aaabbb`), neighbouring runs differ;
 * - periodic: a base of period p (2 <= p <= length/2, so at least two full periods from length 4; `aba` for length 3)
 *   that is not one letter repeated, repeated and cut to the length (e.g. `abcabc`);
 * - mirrored: a palindrome (e.g. `abccba`, `abcba`);
 * - unconstrained: uniform letters.
 * Length 1 (and periodic length 2) can only be unconstrained; short lengths may belong to several domains.
 */
export function domainString(rng: Rng, domain: RewriteDomain, length: number, alphabet: number): string {
  if (length <= 0) return "";
  switch (domain) {
    case "unconstrained":
      return randomString(rng, alphabet, length);
    case "repeated": {
      const runs = 1 + rng.int(Math.max(1, Math.floor(length / 2)));
      const sizes = new Array<number>(runs).fill(length >= 2 * runs ? 2 : 1);
      let rest = length - sizes.reduce((a, b) => a + b, 0);
      while (rest > 0) {
        sizes[rng.int(runs)]!++;
        rest--;
      }
      let s = "";
      let prev = letter(rng, alphabet);
      for (let r = 0; r < runs; r++) {
        const c = r === 0 ? prev : otherLetter(rng, alphabet, prev);
        s += c.repeat(sizes[r]!);
        prev = c;
      }
      return s;
    }
    case "periodic": {
      if (length <= 2) return randomString(rng, alphabet, length);
      const p = 2 + rng.int(Math.max(1, Math.floor(length / 2) - 1));
      const base = [...randomString(rng, alphabet, p)];
      if (base.every((c) => c === base[0])) base[p - 1] = otherLetter(rng, alphabet, base[0]!);
      let s = "";
      for (let i = 0; i < length; i++) s += base[i % p]!;
      return s;
    }
    case "mirrored": {
      const half = randomString(rng, alphabet, Math.ceil(length / 2));
      const tail = [...half.slice(0, Math.floor(length / 2))].reverse().join("");
      return half + tail;
    }
  }
}

/** A uniform-letter string of the given length in which `x` never occurs (each letter avoids completing x). */
export function stringWithout(rng: Rng, x: string, length: number, alphabet: number): string {
  let s = "";
  const last = x[x.length - 1]!;
  const head = x.slice(0, -1);
  for (let i = 0; i < length; i++) {
    // Only the letter that would complete x right here is forbidden (alphabet >= 2 leaves a choice).
    const completes = s.length >= head.length && s.endsWith(head);
    s += completes ? otherLetter(rng, alphabet, last) : letter(rng, alphabet);
  }
  return s;
}

/**
 * Examples per rule for a budget of N over I rules: every rule gets 1, and the other N - I are shared in
 * proportion to (r + 1)^-alpha by largest remainders (ties to the lower rule index). With alpha = 0 every rule
 * gets floor(N / I) and the first N mod I rules one more.
 */
export function ruleCounts(budget: number, rules: number, alpha: number): number[] {
  const w = Array.from({ length: rules }, (_, r) => (alpha === 0 ? 1 : (r + 1) ** -alpha));
  const total = w.reduce((a, b) => a + b, 0);
  const rest = budget - rules;
  const counts = w.map((wi) => Math.floor((rest * wi) / total));
  let left = rest - counts.reduce((a, b) => a + b, 0);
  const byRemainder = w
    .map((wi, r) => ({ r, frac: (rest * wi) / total - counts[r]! }))
    .sort((a, b) => b.frac - a.frac || a.r - b.r);
  for (let k = 0; left > 0; k++, left--) counts[byRemainder[k % rules]!.r]!++;
  return counts.map((c) => c + 1);
}

function checkRange(range: readonly [number, number], option: string, min: number): void {
  const [lo, hi] = range;
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < min || hi < lo)
    throw usageError(
      `${option} must be MIN:MAX with ${min} <= MIN <= MAX, got ${lo}:${hi}`,
      option,
      `pass e.g. ${option} ${min + 1}:${min + 4}`,
    );
}

function checkDomains(list: readonly RewriteDomain[], option: string): void {
  if (list.length === 0)
    throw usageError(`${option} is empty`, option, `pass some of: ${REWRITE_DOMAINS.join(",")}`);
  for (const d of list)
    if (!REWRITE_DOMAINS.includes(d))
      throw usageError(
        `unknown domain "${d}" in ${option}`,
        option,
        `use some of: ${REWRITE_DOMAINS.join(",")}`,
      );
  if (new Set(list).size !== list.length)
    throw usageError(`${option} names a domain twice`, option, "list each domain once");
}

/** Checks every option; a mistake is a usage ArrangeError naming the CLI flag. */
export function checkRewriteOptions(o: RewriteOptions): void {
  const int = (v: number, option: string, min: number) => {
    if (!Number.isSafeInteger(v) || v < min)
      throw usageError(
        `${option} must be an integer >= ${min}, got ${v}`,
        option,
        `pass e.g. ${option} ${min + 1}`,
      );
  };
  int(o.alphabet, "--alphabet", 2);
  if (o.alphabet > 26)
    throw usageError(
      `--alphabet must be at most 26 (lowercase letters), got ${o.alphabet}`,
      "--alphabet",
      "pass e.g. --alphabet 26",
    );
  checkRange(o.stringLength, "--string-length", 1);
  checkRange(o.patternLength, "--pattern-length", 1);
  if (o.patternLength[1] > o.stringLength[1])
    throw usageError(
      `the longest pattern (${o.patternLength[1]}) does not fit in the longest string (${o.stringLength[1]})`,
      "--pattern-length",
      "make --pattern-length MAX at most --string-length MAX",
    );
  int(o.rules, "--rules", 1);
  int(o.budget, "--budget", 1);
  if (o.budget < o.rules)
    throw usageError(
      `--budget ${o.budget} is smaller than --rules ${o.rules}: every rule needs at least one example`,
      "--budget",
      `pass --budget ${o.rules} or more, or fewer --rules`,
    );
  if (!(o.noopShare >= 0 && o.noopShare <= 1))
    throw usageError(
      `--noop-share must be in [0, 1], got ${o.noopShare}`,
      "--noop-share",
      "pass e.g. --noop-share 0.2",
    );
  if (!(o.powerLaw >= 0 && Number.isFinite(o.powerLaw)))
    throw usageError(
      `--power-law must be >= 0, got ${o.powerLaw}`,
      "--power-law",
      "pass 0 for uniform, e.g. --power-law 1",
    );
  checkDomains(o.domains, "--domains");
  checkDomains(o.testDomains, "--test-domains");
  int(o.testRules, "--test-rules", 0);
  int(o.testPerRule, "--test-per-rule", 1);
  if (!UNSEEN_MODES.includes(o.unseen))
    throw usageError(`unknown --unseen "${o.unseen}"`, "--unseen", `use one of: ${UNSEEN_MODES.join(", ")}`);
  if (o.seenTest !== undefined) int(o.seenTest, "--seen-test", 0);
  if (!Number.isSafeInteger(o.seed))
    throw usageError(`--seed must be an integer, got ${o.seed}`, "--seed", "pass e.g. --seed 0");
}

/** Draws `count` distinct rules in the given domains (in turn) that `accept` allows. */
function drawRules(
  rng: Rng,
  o: RewriteOptions,
  count: number,
  domains: readonly RewriteDomain[],
  accept: (rule: RewriteRule) => boolean,
  what: string,
): RewriteRule[] {
  const rules: RewriteRule[] = [];
  const seen = new Set<string>();
  const maxTries = 1000 * count + 10_000;
  for (let tries = 0; rules.length < count; tries++) {
    if (tries >= maxTries)
      throw usageError(
        `could draw only ${rules.length} of ${count} distinct ${what} after ${tries} tries: the alphabet, pattern lengths and domains allow too few rules`,
        what === "training rules" ? "--rules" : "--test-rules",
        "use a larger --alphabet or --pattern-length range, fewer rules, or more domains",
      );
    const domain = domains[rules.length % domains.length]!;
    const x = domainString(rng, domain, between(rng, o.patternLength), o.alphabet);
    const y = domainString(rng, domain, between(rng, o.patternLength), o.alphabet);
    if (x === y) continue;
    const key = `${x}->${y}`;
    const rule = { x, y, domain };
    if (seen.has(key) || !accept(rule)) continue;
    seen.add(key);
    rules.push(rule);
  }
  return rules;
}

/** `total` booleans, exactly round(share · total) of them true, at seeded random places. */
function noopFlags(rng: Rng, total: number, share: number): boolean[] {
  const k = Math.round(share * total);
  const idx = shuffleInPlace(
    Array.from({ length: total }, (_, i) => i),
    rng,
  );
  const flags = new Array<boolean>(total).fill(false);
  for (let i = 0; i < k; i++) flags[idx[i]!] = true;
  return flags;
}

/**
 * One example of a rule. A no-op's string is drawn so that x never occurs. Otherwise x is inserted at a
 * random place of a uniform string; the answer is computed from the final string with `applyRule`, so when x
 * also occurs earlier (or overlapping the insertion) the leftmost occurrence is the one replaced.
 */
function makeExample(
  rng: Rng,
  o: RewriteOptions,
  rule: RewriteRule,
  index: number,
  noop: boolean,
): RewriteExample {
  const { x, y, domain } = rule;
  let z: string;
  if (noop) {
    z = stringWithout(rng, x, between(rng, o.stringLength), o.alphabet);
  } else {
    const length = between(rng, [Math.max(o.stringLength[0], x.length), o.stringLength[1]]);
    const rest = randomString(rng, o.alphabet, length - x.length);
    const at = rng.int(rest.length + 1);
    z = rest.slice(0, at) + x + rest.slice(at);
  }
  const answer = applyRule(z, x, y);
  return { rule: index, x, y, z, answer, domain, noop: !z.includes(x) };
}

/** The training and test sets of the rewrite task for the options (deterministic by seed). */
export function generateRewrite(options: RewriteOptions): RewriteSet {
  checkRewriteOptions(options);
  const rng = createRng(options.seed);
  const drawTrain = (accept: (r: RewriteRule) => boolean) =>
    drawRules(rng.fork("train-rules"), options, options.rules, options.domains, accept, "training rules");
  const drawTest = (accept: (r: RewriteRule) => boolean) =>
    drawRules(rng.fork("test-rules"), options, options.testRules, options.testDomains, accept, "test rules");
  const keyOf = (r: RewriteRule) => `${r.x}->${r.y}`;
  let trainRules: RewriteRule[];
  let testRules: RewriteRule[];
  if (options.testFirst === true) {
    testRules = drawTest(() => true);
    const testKeys = new Set(testRules.map(keyOf));
    const testPatterns = new Set(testRules.map((r) => r.x));
    trainRules = drawTrain(
      (r) => !testKeys.has(keyOf(r)) && (options.unseen === "rule" || !testPatterns.has(r.x)),
    );
  } else {
    trainRules = drawTrain(() => true);
    const trainKeys = new Set(trainRules.map(keyOf));
    const trainPatterns = new Set(trainRules.map((r) => r.x));
    testRules = drawTest(
      (r) => !trainKeys.has(keyOf(r)) && (options.unseen === "rule" || !trainPatterns.has(r.x)),
    );
  }
  const counts = ruleCounts(options.budget, options.rules, options.powerLaw);
  const build = (rules: RewriteRule[], perRule: number[], label: string): RewriteExample[] => {
    const total = perRule.reduce((a, b) => a + b, 0);
    const flags = noopFlags(rng.fork(`${label}-noops`), total, options.noopShare);
    const exRng = rng.fork(`${label}-examples`);
    const out: RewriteExample[] = [];
    rules.forEach((rule, r) => {
      for (let k = 0; k < perRule[r]!; k++)
        out.push(makeExample(exRng, options, rule, r, flags[out.length]!));
    });
    return shuffleInPlace(out, rng.fork(`${label}-order`));
  };
  const testCounts = testRules.map(() => options.testPerRule);
  // Example k of the seen test set is of training rule k mod I, with its own random streams.
  const buildSeen = (n: number): RewriteExample[] => {
    if (n === 0) return [];
    const flags = noopFlags(rng.fork("seen-noops"), n, options.noopShare);
    const exRng = rng.fork("seen-examples");
    const out: RewriteExample[] = [];
    for (let k = 0; k < n; k++) {
      const r = k % trainRules.length;
      out.push(makeExample(exRng, options, trainRules[r]!, r, flags[k]!));
    }
    return shuffleInPlace(out, rng.fork("seen-order"));
  };
  return {
    trainRules: trainRules.map((r, i) => ({ ...r, examples: counts[i]! })),
    testRules: testRules.map((r) => ({ ...r, examples: options.testPerRule })),
    train: build(trainRules, counts, "train"),
    test: build(testRules, testCounts, "test"),
    seenTest: buildSeen(options.seenTest ?? 0),
  };
}
