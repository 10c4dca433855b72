type TypedArray = Int32Array | Uint32Array | Float64Array | BigUint64Array;
type Element<T extends TypedArray> = T extends BigUint64Array ? bigint : number;

/**
 * An append-only typed array that grows its capacity as needed. Per-row state of a dataset lives in these
 * (off the V8 heap, a few bytes per row), never in one JS object per row.
 */
export class Growable<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }

  push(value: Element<T>): void {
    if (this.length === this.data.length) {
      // Double while small, then grow by half: the old and new buffers live together for a moment.
      const n = this.data.length;
      const next = this.make(n < 1 << 22 ? n * 2 : n + (n >> 1));
      next.set(this.data as never);
      this.data = next;
    }
    (this.data as unknown as { [i: number]: Element<T> })[this.length++] = value;
  }

  /** Make room for `n` values in all, so that a known row count costs one allocation, not a series. */
  reserve(n: number): void {
    if (n <= this.data.length) return;
    const next = this.make(Math.ceil(n));
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }

  /**
   * Exactly the pushed values. A view, not a copy, when the buffer is at least 3/4 full (copying a large
   * array would need both at once); a trimmed copy otherwise. The Growable must not be pushed to afterwards.
   */
  toArray(): T {
    if (this.length * 4 >= this.data.length * 3) return this.data.subarray(0, this.length) as T;
    return this.data.slice(0, this.length) as T;
  }
}

export const growInt32 = (): Growable<Int32Array> => new Growable((n) => new Int32Array(n));
export const growFloat64 = (): Growable<Float64Array> => new Growable((n) => new Float64Array(n));
export const growUint32 = (): Growable<Uint32Array> => new Growable((n) => new Uint32Array(n));
export const growBigUint64 = (): Growable<BigUint64Array> => new Growable((n) => new BigUint64Array(n));
