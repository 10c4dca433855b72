/** JSON of a record read from any format: bigints become numbers (strings beyond 2^53), bytes become arrays. */
export function recordJson(record: unknown): string {
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === "bigint") {
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    }
    if (value instanceof Uint8Array) return Array.from(value);
    return value;
  });
}

/** One JSON line per record. */
export function* jsonLines(records: Iterable<unknown>): Generator<string> {
  for (const r of records) yield `${recordJson(r)}\n`;
}
