import { type FileHandle, open } from "node:fs/promises";

/**
 * A minimal .npy (format 1.0) writer for handing bench data to numpy: little-endian float32 or int32,
 * C order. `chunks` are written one after the other and must add up to the shape.
 */
export async function writeNpyChunks(
  path: string,
  dtype: "<f4" | "<i4",
  shape: number[],
  chunks: Iterable<Float32Array | Int32Array>,
): Promise<void> {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
  const total = 10 + header.length + 1;
  header += `${" ".repeat((64 - (total % 64)) % 64)}\n`;
  const pre = Buffer.alloc(10);
  pre.write("\x93NUMPY", 0, "latin1");
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const fh: FileHandle = await open(path, "w");
  try {
    await fh.write(pre);
    await fh.write(Buffer.from(header, "latin1"));
    for (const c of chunks) await fh.write(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  } finally {
    await fh.close();
  }
}

/** Reads a 1-D int32 .npy written by numpy (format 1.0/2.0, little-endian). */
export async function readInt32Npy(path: string): Promise<Int32Array> {
  const { readFile } = await import("node:fs/promises");
  const buf = await readFile(path);
  const major = buf[6]!;
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = buf.subarray(major === 1 ? 10 : 12, start).toString("latin1");
  if (!header.includes("'<i4'")) throw new Error(`expected int32 .npy, header: ${header}`);
  const bytes = buf.subarray(start);
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
