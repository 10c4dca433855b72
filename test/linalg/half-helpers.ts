/** Random finite float16 bits (|x| in about [2^-6, 8)), with a few zero rows and repeated rows. */
export function randomHalf(rows: number, cols: number, seed: number): Uint16Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const bits = new Uint16Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const r = next();
    if (r < 0.05) continue; // a zero row
    if (r < 0.2 && i > 0) {
      const src = Math.floor(next() * i);
      bits.copyWithin(i * cols, src * cols, src * cols + cols);
      continue;
    }
    for (let k = 0; k < cols; k++) {
      const sign = next() < 0.5 ? 0x8000 : 0;
      const exp = 9 + Math.floor(next() * 9); // 2^-6 .. 2^2
      bits[i * cols + k] = sign | (exp << 10) | Math.floor(next() * 1024);
    }
  }
  return bits;
}
