/** One curve point: a step and its value (null = not measured). */
export interface StepValue {
  step: number;
  value: number | null;
}

/**
 * Area under a step curve from its first step to `upTo` (inclusive; default the last step), by the
 * trapezoid rule, divided by the step range: the curve's mean over that window, so windows of
 * different lengths compare. Points without a value are skipped. Null when fewer than two points.
 */
export function meanOverSteps(points: readonly StepValue[], upTo?: number): number | null {
  const pts = points
    .filter(
      (p): p is { step: number; value: number } => p.value !== null && (upTo === undefined || p.step <= upTo),
    )
    .sort((a, b) => a.step - b.step);
  if (pts.length < 2) return pts.length === 1 ? pts[0]!.value : null;
  let area = 0;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    area += ((a.value + b.value) / 2) * (b.step - a.step);
  }
  return area / (pts[pts.length - 1]!.step - pts[0]!.step);
}

export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}
