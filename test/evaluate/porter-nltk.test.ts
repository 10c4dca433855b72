import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { porterStem } from "../../src/evaluate/porter.js";
import { rouge1, rougeL, rougeTokens } from "../../src/evaluate/rouge.js";
import { describeWithPython, pythonWith } from "../helpers/python-module.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, SHARED_P3 } from "../helpers/tmp.js";

/** Words where NLTK's extension mode and the original 1980 algorithm (npm `stemmer`) part ways, and others. */
const TRICKY = [
  "boys",
  "skies",
  "sky",
  "proceeds",
  "proceed",
  "exceed",
  "succeed",
  "days",
  "news",
  "biology",
  "geology",
  "theology",
  "dying",
  "lying",
  "tying",
  "ties",
  "died",
  "spied",
  "innings",
  "outings",
  "cannings",
  "howe",
  "happy",
  "fly",
  "generously",
  "conditional",
  "rational",
  "relational",
  "hopefully",
  "formalli",
  "feed",
  "agreed",
  "plastered",
  "caresses",
  "ponies",
  "generalizations",
  "oscillators",
  "controlling",
  "rolling",
  "filing",
  "abilities",
  "a1b2",
  "2024",
  "xyzzy",
];

/** Each line of a JSONL file as its string fields joined (the texts an evaluation would see). */
function jsonlTexts(path: string, maxRows = Number.POSITIVE_INFINITY): string[] {
  const out: string[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    if (out.length >= maxRows) break;
    const row = JSON.parse(line) as Record<string, unknown>;
    out.push(
      Object.values(row)
        .filter((v): v is string => typeof v === "string")
        .join(" "),
    );
  }
  return out;
}

function dataFiles(): string[] {
  const dirs = [EXAMPLE_TRAIN, EXAMPLE_TEST, ...(existsSync(SHARED_P3) ? [SHARED_P3] : [])];
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".jsonl"))
      .sort()
      .map((f) => join(d, f)),
  );
}

/** Every distinct rouge-score token (unstemmed) of the example data and, when present, the P3 sample. */
function wordList(): string[] {
  const words = new Set<string>(TRICKY);
  // 40 rows of each P3 template: ~19k distinct words (all 200 rows: 43k, several times slower).
  for (const f of dataFiles())
    for (const t of jsonlTexts(f, 40)) for (const w of rougeTokens(t)) words.add(w);
  return [...words].sort();
}

function runPython(script: string, input: string): string {
  const python = pythonWith("nltk")!;
  const r = spawnSync(python, ["-c", script], { input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

const NLTK_STEMS = `
import sys
from nltk.stem.porter import PorterStemmer
s = PorterStemmer()  # NLTK_EXTENSIONS, the default mode, as rouge-score constructs it
words = sys.stdin.read().split("\\n")
sys.stdout.write("\\n".join(s.stem(w) for w in words))
`;

// rouge-score's tokenizer (tokenize.py) and scoring (rouge_scorer.py: _score_ngrams, _score_lcs), with
// NLTK's stemmer, as the reference for whole ROUGE scores.
const ROUGE_REFERENCE = `
import json, re, sys, collections
from nltk.stem.porter import PorterStemmer
stemmer = PorterStemmer()
def tokenize(text):
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    tokens = [stemmer.stem(x) if len(x) > 3 else x for x in re.split(r"\\s+", text)]
    return [x for x in tokens if re.match(r"^[a-z0-9]+$", x)]
def fmeasure(p, r):
    return 2 * p * r / (p + r) if p + r > 0 else 0.0
def rouge1(ref, pred):
    rc, pc = collections.Counter(ref), collections.Counter(pred)
    overlap = sum(min(rc[w], pc[w]) for w in rc)
    p = overlap / max(sum(pc.values()), 1)
    r = overlap / max(sum(rc.values()), 1)
    return fmeasure(p, r)
def lcs(a, b):
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            t[i][j] = t[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(t[i - 1][j], t[i][j - 1])
    return t[-1][-1]
def rougeL(ref, pred):
    if not ref or not pred:
        return 0.0
    n = lcs(ref, pred)
    return fmeasure(n / len(pred), n / len(ref))
out = []
for ref, pred in json.load(sys.stdin):
    r, p = tokenize(ref), tokenize(pred)
    out.append([rouge1(r, p), rougeL(r, p)])
json.dump(out, sys.stdout)
`;

describe("Porter stemmer, NLTK extension mode (no Python needed)", () => {
  it("hand examples where NLTK differs from the 1980 algorithm", () => {
    // NLTK 3.8 PorterStemmer().stem(...) values; the npm `stemmer` package gives boi, ski, dai, new,
    // biologi, happi, fli for some of them.
    const expected: Record<string, string> = {
      boys: "boy",
      skies: "sky",
      days: "day",
      news: "news",
      biology: "biolog",
      geology: "geolog",
      dying: "die",
      ties: "tie",
      died: "die",
      spied: "spi",
      happy: "happi",
      fly: "fli",
      innings: "inning",
      running: "run",
      generalizations: "gener",
      agreed: "agre",
      feed: "feed",
      rational: "ration",
    };
    for (const [w, s] of Object.entries(expected)) expect([w, porterStem(w)]).toEqual([w, s]);
    expect(rougeTokens("The boys saw skies for days", { stemmer: true })).toEqual([
      "the",
      "boy",
      "saw",
      "sky",
      "for",
      "day",
    ]);
  });
});

describeWithPython("nltk", "python3-nltk")("ROUGE stemming equals NLTK's PorterStemmer (rouge-score)", () => {
  it("stems every word of the example data and the P3 sample as NLTK does", () => {
    const words = wordList();
    expect(words.length).toBeGreaterThan(existsSync(SHARED_P3) ? 15_000 : 1_000);
    const theirs = runPython(NLTK_STEMS, words.join("\n")).split("\n");
    expect(theirs).toHaveLength(words.length);
    const wrong: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (porterStem(w) !== theirs[i]) wrong.push(`${w}: ours ${porterStem(w)}, nltk ${theirs[i]}`);
      // The ROUGE path: tokens longer than 3 characters are stemmed.
      const viaRouge = rougeTokens(w, { stemmer: true }).join(" ");
      const expected = w.length > 3 ? theirs[i] : w;
      if (viaRouge !== expected) wrong.push(`rouge token ${w}: ours ${viaRouge}, rouge-score ${expected}`);
    }
    expect(wrong.slice(0, 30)).toEqual([]);
  });

  it("ROUGE-1 and ROUGE-L with the stemmer equal rouge-score's on pairs of real texts", () => {
    const pairs: [string, string][] = [];
    for (const f of dataFiles()) {
      const texts = jsonlTexts(f, 3).map((t) => t.slice(0, 400));
      for (let k = 0; k + 1 < texts.length; k++) pairs.push([texts[k]!, texts[k + 1]!]);
      // A prediction with other inflections of the reference's words (what the stemmer is for): every
      // plural "-s" dropped (days → day, skies → skie, boys → boy).
      for (const t of texts) pairs.push([t, t.replace(/([a-z]{2,})s\b/g, "$1")]);
    }
    expect(pairs.length).toBeGreaterThan(100);
    const ref = JSON.parse(runPython(ROUGE_REFERENCE, JSON.stringify(pairs))) as [number, number][];
    expect(ref).toHaveLength(pairs.length);
    let differ = 0;
    const shown: string[] = [];
    for (let k = 0; k < pairs.length; k++) {
      const [a, b] = pairs[k]!;
      const r1 = rouge1(a, b, { stemmer: true }).fmeasure;
      const rl = rougeL(a, b, { stemmer: true }).fmeasure;
      if (Math.abs(r1 - ref[k]![0]) > 1e-12 || Math.abs(rl - ref[k]![1]) > 1e-12) {
        differ++;
        if (shown.length < 5) shown.push(`pair ${k}: ours ${r1} ${rl}, rouge-score ${ref[k]!.join(" ")}`);
      }
    }
    expect({ differ, shown }).toEqual({ differ: 0, shown: [] });
  });
});
