/** A number to 6 significant digits (integers unchanged, −0 as 0). */
export function sig6(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  const r = Number(x.toPrecision(6));
  return r === 0 ? 0 : r;
}

/** JSON with every non-integer number rounded to 6 significant digits: compact and deterministic. */
export function roundedJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" ? sig6(v) : v))}\n`;
}
