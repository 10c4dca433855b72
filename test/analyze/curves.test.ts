import { describe, expect, it } from "vitest";
import { checkpointExamples } from "../../src/analyze/checkpoints.js";
import { CURVE_NAMES, type CurveSet } from "../../src/analyze/types.js";
import { analyze } from "../../src/pipeline/analyze.js";
import { tempDir } from "../helpers/tmp.js";
import { close6, TEST_TEXTS, TEST_VECS, TRAIN_TEXTS, TRAIN_VECS, writeTinyCase } from "./helpers.js";

const EPS = 1e-10;
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));
const cosDist = (a: number[], b: number[]) => -dot(a, b) / (norm(a) * norm(b));
const eucDist = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - b[i]!));
const mean = (vs: number[][]) => vs[0]!.map((_, q) => vs.reduce((s, v) => s + v[q]!, 0) / vs.length);

function bigramCounts(texts: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of texts) {
    const w = t.toLowerCase().split(/\s+/).filter(Boolean);
    for (let i = 0; i + 1 < w.length; i++)
      m.set(`${w[i]} ${w[i + 1]}`, (m.get(`${w[i]} ${w[i + 1]}`) ?? 0) + 1);
  }
  return m;
}

/** KL(p || q) straight from the definition (paper Eq. 12). */
function bruteKl(prefix: string[], test: string[]): number {
  const p = bigramCounts(prefix);
  const q = bigramCounts(test);
  const np = [...p.values()].reduce((a, b) => a + b, 0);
  const nq = [...q.values()].reduce((a, b) => a + b, 0);
  let kl = 0;
  for (const [b, c] of p) kl += (c / np) * Math.log(c / np / ((q.get(b) ?? 0) / nq + EPS));
  return kl;
}

/** Every curve of prefix P_k against a test group, recomputed from scratch over all pairs. */
function brute(prefixN: number, testRows: number[]): Record<keyof CurveSet, number> {
  const P = TRAIN_VECS.slice(0, prefixN);
  const T = testRows.map((j) => TEST_VECS[j]!);
  const cos = P.flatMap((x) => T.map((t) => cosDist(x, t)));
  const euc = P.flatMap((x) => T.map((t) => eucDist(x, t)));
  const allTest = Object.values(TEST_TEXTS).flat();
  return {
    "cos-min": Math.min(...cos),
    "cos-max": Math.max(...cos),
    "cos-avg": cos.reduce((a, b) => a + b, 0) / cos.length,
    "cos-centroid": cosDist(mean(P), mean(T)),
    "euc-min": Math.min(...euc),
    "euc-max": Math.max(...euc),
    "euc-avg": euc.reduce((a, b) => a + b, 0) / euc.length,
    "euc-centroid": eucDist(mean(P), mean(T)),
    "kl-bigram": bruteKl(
      TRAIN_TEXTS.slice(0, prefixN),
      testRows.map((j) => allTest[j]!),
    ),
  };
}

describe("analyze: checkpoint curves", () => {
  it("checkpoints every batch × save-steps examples plus a final partial one", () => {
    expect(checkpointExamples(5, 1, 2)).toEqual([2, 4, 5]);
    expect(checkpointExamples(320, 16, 10)).toEqual([160, 320]);
    expect(checkpointExamples(100, 16, 10)).toEqual([100]);
  });

  it("every curve, overall and per test task, equals a brute-force recomputation per checkpoint", async () => {
    const dir = await tempDir();
    const f = await writeTinyCase(dir);
    const a = await analyze({
      train: f.train,
      test: f.test,
      trainEmbeddings: f.trainNpy,
      testEmbeddings: f.testNpy,
      batchSize: 1,
      saveSteps: 2,
      engine: "ts",
      overlap: "keep",
    });
    expect(a.checkpoints).toEqual({
      batchSize: 1,
      saveSteps: 2,
      every: 2,
      examples: [2, 4, 5],
      steps: [2, 4, 5],
    });
    expect(Object.keys(a.curves.perTask)).toEqual(["tA", "tB"]);
    const groups: [CurveSet, number[]][] = [
      [a.curves.overall, [0, 1, 2]],
      [a.curves.perTask.tA!, [0, 1]],
      [a.curves.perTask.tB!, [2]],
    ];
    for (const [curves, rows] of groups) {
      a.checkpoints.examples.forEach((k, c) => {
        const want = brute(k, rows);
        for (const name of CURVE_NAMES) {
          const got = curves[name][c]!;
          if (!close6(got, want[name]))
            throw new Error(`${name} at ${k} rows vs ${rows}: ${got} != ${want[name]}`);
        }
      });
    }
  });
});
