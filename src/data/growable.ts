type TypedArray = Int32Array | Uint32Array | Float64Array;

/** An append-only typed array that doubles its capacity as needed. */
export class Growable<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  /** A copy of exactly the pushed values. */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }
}

export const growInt32 = (): Growable<Int32Array> => new Growable((n) => new Int32Array(n));
export const growFloat64 = (): Growable<Float64Array> => new Growable((n) => new Float64Array(n));
export const growUint32 = (): Growable<Uint32Array> => new Growable((n) => new Uint32Array(n));
