import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { exactMatch, normalizeAnswer } from "../../src/evaluate/exact-match.js";
import { describeWithPython, pythonWith } from "../helpers/python-module.js";

/** Strings where Python's `\b` (Unicode word characters) and `str.split()` (Python's whitespace) matter. */
const TRICKY: string[] = [
  "the\u0085answer", // NEL is whitespace to str.split(), not to JavaScript's \s
  "a\u001cb\u001dc\u001ed\u001fe", // information separators: whitespace to Python
  "\ufeffthe answer", // BOM: whitespace to JavaScript, not to Python
  "éthe end", // é is a word character: no boundary before "the"
  "ïa b", // ditto before "a"
  "\u0663the", // Arabic-Indic digit three: a word character (str.isdecimal)
  "\u00bdthe", // ½: numeric, a word character to Python
  "\u01c5the", // ǅ (title case) lower-cases to ǆ, a letter
  "the\u0301", // a combining mark is not a word character: "the" is removed
  "\u200bthe", // zero-width space: neither whitespace nor a word character
  "A\u00a0an\u2003THE\u3000answer",
  "x\u2028the\u2029y",
  "the\u001fthe\u001ethe",
  "¿The answer?",
  "İstanbul, the city",
  "The  Eiffel-Tower!  ",
  "an_the a-n the.a",
  "ΟΔΟΣ the",
  "2the 2 the",
  "théâtre an",
  "a\u3000\u1680b",
  "\t\n\v\f\r",
  "",
];

// The steps of SQuAD's normalize_answer (evaluate-v1.1.py / v2.0), in Python itself: lower-case, drop
// string.punctuation, articles as whole words (Python's \b) to a space, then ' '.join(str.split()).
const SQUAD_NORMALIZE = `
import json, re, string, sys
def norm(s):
    s = "".join(c for c in s.lower() if c not in string.punctuation)
    s = re.sub(r"\\b(a|an|the)\\b", " ", s)
    return " ".join(s.split())
json.dump([norm(s) for s in json.load(sys.stdin)], sys.stdout)
`;

describe("exact match normalizes as SQuAD's Python script (no Python needed)", () => {
  it("Python's whitespace and Unicode word boundaries", () => {
    expect(normalizeAnswer("the\u0085answer")).toBe("answer");
    expect(normalizeAnswer("a\u001cb\u001dc")).toBe("b c");
    expect(normalizeAnswer("\ufeffthe answer")).toBe("\ufeff answer");
    expect(normalizeAnswer("éthe end")).toBe("éthe end");
    expect(normalizeAnswer("\u0663the")).toBe("\u0663the");
    expect(normalizeAnswer("the\u0301")).toBe("\u0301");
    expect(exactMatch("the\u0085answer", "answer")).toBe(1);
    expect(exactMatch("ïa b", "ï b")).toBe(0);
  });
});

describeWithPython("re", "python3")("exact match against Python's own SQuAD normalization", () => {
  it("normalizes every tricky string exactly as python3 does", () => {
    const r = spawnSync(pythonWith("re")!, ["-c", SQUAD_NORMALIZE], {
      input: JSON.stringify(TRICKY),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as string[];
    const ours = TRICKY.map((s) => normalizeAnswer(s));
    const diff = TRICKY.map((s, i) => [JSON.stringify(s), ours[i], theirs[i]]).filter((x) => x[1] !== x[2]);
    expect(diff).toEqual([]);
  });
});
