/**
 * Small, exact linear models for `predict`: ridge regression on standardized features with per-group
 * intercepts (fixed effects), and the group-mean baseline. Everything in float64, deterministic.
 */

/** Solve A x = b for a symmetric positive definite A (n × n, row-major) by Cholesky. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error("the ridge system is not positive definite");
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/** One observation: its group (the intercept it shares), features and response. */
export interface Observation {
  group: string;
  x: number[];
  y: number;
}

/** A fitted model: the group means it learned and, with features, the standardized ridge coefficients. */
export interface FittedModel {
  groupY: Map<string, number>;
  groupX: Map<string, number[]>;
  /** Mean of y over all training rows: the prediction for a group not seen in training. */
  meanY: number;
  meanX: number[];
  /** Standard deviation of each (group-centred) feature over the training rows (1 when 0). */
  scale: number[];
  /** Coefficients on the standardized, group-centred features. */
  beta: number[];
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/**
 * Fit y = a_group + Σ β_j (x_j − x̄_group,j) / s_j: group intercepts unpenalized (the rows are centred
 * within their group), β by ridge with penalty `lambda` on the standardized centred features. With no
 * features this is the group-mean model.
 */
export function fitGroupRidge(rows: readonly Observation[], lambda: number): FittedModel {
  const p = rows[0]?.x.length ?? 0;
  const byGroup = new Map<string, Observation[]>();
  for (const r of rows) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  const groupY = new Map<string, number>();
  const groupX = new Map<string, number[]>();
  for (const [g, rs] of byGroup) {
    groupY.set(g, mean(rs.map((r) => r.y)));
    groupX.set(
      g,
      Array.from({ length: p }, (_, j) => mean(rs.map((r) => r.x[j]!))),
    );
  }
  const cx = rows.map((r) => r.x.map((v, j) => v - groupX.get(r.group)![j]!));
  const cy = rows.map((r) => r.y - groupY.get(r.group)!);
  const scale = Array.from({ length: p }, (_, j) => {
    const s = Math.sqrt(mean(cx.map((x) => x[j]! * x[j]!)));
    return s > 1e-12 ? s : 1;
  });
  let beta: number[] = [];
  if (p > 0) {
    const a = new Float64Array(p * p);
    const b = new Float64Array(p);
    cx.forEach((x, i) => {
      for (let j = 0; j < p; j++) {
        const xj = x[j]! / scale[j]!;
        b[j]! += xj * cy[i]!;
        for (let k = 0; k < p; k++) a[j * p + k]! += xj * (x[k]! / scale[k]!);
      }
    });
    for (let j = 0; j < p; j++) a[j * p + j]! += lambda;
    beta = [...solveSpd(a, b, p)];
  }
  return {
    groupY,
    groupX,
    meanY: mean(rows.map((r) => r.y)),
    meanX: Array.from({ length: p }, (_, j) => mean(rows.map((r) => r.x[j]!))),
    scale,
    beta,
  };
}

/** The model's prediction for one row (a group not seen in training falls back to the overall means). */
export function predictRow(m: FittedModel, r: Pick<Observation, "group" | "x">): number {
  const gy = m.groupY.get(r.group) ?? m.meanY;
  const gx = m.groupX.get(r.group) ?? m.meanX;
  let y = gy;
  for (let j = 0; j < m.beta.length; j++) y += (m.beta[j]! * (r.x[j]! - gx[j]!)) / m.scale[j]!;
  return y;
}

/** 1 − SSE / SST around the mean of `y`. */
export function rSquared(y: readonly number[], predicted: readonly number[]): number {
  const my = mean([...y]);
  let sse = 0;
  let sst = 0;
  y.forEach((v, i) => {
    sse += (v - predicted[i]!) ** 2;
    sst += (v - my) ** 2;
  });
  return sst > 0 ? 1 - sse / sst : 0;
}

export function rmse(y: readonly number[], predicted: readonly number[]): number {
  return Math.sqrt(y.reduce((s, v, i) => s + (v - predicted[i]!) ** 2, 0) / y.length);
}

export function mae(y: readonly number[], predicted: readonly number[]): number {
  return y.reduce((s, v, i) => s + Math.abs(v - predicted[i]!), 0) / y.length;
}
