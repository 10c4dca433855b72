/** Lowercased whitespace tokens of a text. */
export function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

/** Every adjacent token pair of a text, repeats included ("a b" twice counts twice). */
export function bigrams(text: string): string[] {
  const t = tokens(text);
  const out: string[] = [];
  for (let i = 0; i + 1 < t.length; i++) out.push(`${t[i]} ${t[i + 1]}`);
  return out;
}

/**
 * KL(prefix || test) of whitespace-bigram distributions for every training prefix P_k, against each test
 * group (test tasks, then all test rows): KL = Σ_b p_b log(p_b / (q_b + ε)) over bigrams with p_b > 0
 * (paper Eq. 12), p and q normalized bigram counts. Kept incrementally: with c_b the prefix counts and
 * N = Σ c_b, A = Σ c_b log c_b and B_g = Σ c_b log(q_{g,b} + ε) give KL_g = A/N − log N − B_g/N. Each
 * training bigram occurrence costs O(groups); nothing is recomputed per checkpoint.
 * Returns curves[g][checkpoint]; a prefix without any bigram gets 0.
 */
export function prefixBigramKl(
  trainTexts: readonly string[],
  testTexts: readonly string[],
  testTaskOf: Int32Array,
  tasks: number,
  checkpoints: readonly number[],
  epsilon: number,
): number[][] {
  const G = tasks + 1;
  // Test bigram counts per group.
  const ids = new Map<string, number>();
  const counts: number[] = []; // id*G + g
  const totals = new Float64Array(G);
  for (let j = 0; j < testTexts.length; j++) {
    const t = testTaskOf[j]!;
    for (const b of bigrams(testTexts[j]!)) {
      let id = ids.get(b);
      if (id === undefined) {
        id = ids.size;
        ids.set(b, id);
        for (let g = 0; g < G; g++) counts.push(0);
      }
      counts[id * G + t]! += 1;
      counts[id * G + tasks]! += 1;
      totals[t]! += 1;
      totals[tasks]! += 1;
    }
  }
  const logEps = Math.log(epsilon);
  const logQ = new Float64Array(counts.length);
  for (let id = 0; id < ids.size; id++) {
    for (let g = 0; g < G; g++) {
      const c = counts[id * G + g]!;
      logQ[id * G + g] = c > 0 ? Math.log(c / totals[g]! + epsilon) : logEps;
    }
  }

  const prefixCounts = new Map<string, number>();
  let A = 0;
  let N = 0;
  let outside = 0; // occurrences of bigrams absent from the whole test set: log(ε) for every group
  const B = new Float64Array(G);
  const curves: number[][] = Array.from({ length: G }, () => []);
  let next = 0;
  for (let i = 0; i < trainTexts.length && next < checkpoints.length; i++) {
    for (const b of bigrams(trainTexts[i]!)) {
      const c = prefixCounts.get(b) ?? 0;
      prefixCounts.set(b, c + 1);
      A += (c + 1) * Math.log(c + 1) - (c > 0 ? c * Math.log(c) : 0);
      N++;
      const id = ids.get(b);
      if (id === undefined) outside++;
      else for (let g = 0; g < G; g++) B[g]! += logQ[id * G + g]!;
    }
    if (i + 1 === checkpoints[next]) {
      for (let g = 0; g < G; g++) {
        curves[g]!.push(N > 0 ? A / N - Math.log(N) - (B[g]! + outside * logEps) / N : 0);
      }
      next++;
    }
  }
  return curves;
}

/**
 * KL(window || test) of whitespace-bigram distributions for each checkpoint interval on its own (the rows
 * after the previous checkpoint up to this one) against all test rows, with the same formula and
 * smoothing as `prefixBigramKl`. An interval without any bigram gets 0.
 */
export function windowBigramKl(
  trainTexts: readonly string[],
  testTexts: readonly string[],
  checkpoints: readonly number[],
  epsilon: number,
): number[] {
  const testCounts = new Map<string, number>();
  let total = 0;
  for (const t of testTexts)
    for (const b of bigrams(t)) {
      testCounts.set(b, (testCounts.get(b) ?? 0) + 1);
      total++;
    }
  const logEps = Math.log(epsilon);
  const logQ = (b: string) => {
    const c = testCounts.get(b);
    return c === undefined ? logEps : Math.log(c / total + epsilon);
  };
  const out: number[] = [];
  let start = 0;
  for (const end of checkpoints) {
    const counts = new Map<string, number>();
    let n = 0;
    for (let i = start; i < end && i < trainTexts.length; i++)
      for (const b of bigrams(trainTexts[i]!)) {
        counts.set(b, (counts.get(b) ?? 0) + 1);
        n++;
      }
    let kl = 0;
    for (const [b, c] of counts) kl += (c / n) * (Math.log(c / n) - logQ(b));
    out.push(n > 0 ? kl : 0);
    start = end;
  }
  return out;
}
