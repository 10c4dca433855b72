import type { FileHandle } from "node:fs/promises";
import { ArrangeError, usageError } from "../core/errors.js";
import type { Matrix } from "../core/types.js";
import { halfTable } from "../linalg/half.js";
import { atomicWrite, writeAll } from "./atomic.js";
import { ioError, openForRead } from "./io.js";

/** A matrix read from .npy; `converted` names the file's dtype when it was not float32. */
export interface NpyMatrix extends Matrix {
  converted?: "<f8" | "<f2";
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_BYTES = { "<f4": 4, "<f8": 8, "<f2": 2 } as const;
export type Dtype = keyof typeof ITEM_BYTES;
/** Bytes per read or write call (one call is limited to 2 GiB). */
const MAX_READ = 256 << 20;
/** Elements converted per step for float64/float16 files. */
const CONVERT_CHUNK = 1 << 20;

const SAVE_FIX =
  "save a 2-D float32 array in C order: numpy.save(path, numpy.ascontiguousarray(arr, dtype=numpy.float32))";

function embeddingsError(path: string, message: string, fix: string = SAVE_FIX): ArrangeError {
  return new ArrangeError("embeddings", message, { file: path, fix });
}

interface NpyHeader {
  dtype: Dtype;
  rows: number;
  cols: number;
  dataStart: number;
}

async function readExactly(
  fh: FileHandle,
  into: Uint8Array,
  position: number,
  path: string,
): Promise<number> {
  let done = 0;
  while (done < into.length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(into, done, Math.min(into.length - done, MAX_READ), position + done));
    } catch (cause) {
      throw ioError(path, cause, "read the embeddings");
    }
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

async function readHeader(fh: FileHandle, path: string): Promise<NpyHeader> {
  const pre = new Uint8Array(12);
  const got = await readExactly(fh, pre, 0, path);
  if (got < 10 || MAGIC.some((b, i) => pre[i] !== b)) {
    throw embeddingsError(path, "not a .npy file (no \\x93NUMPY magic)");
  }
  const major = pre[6]!;
  const view = new DataView(pre.buffer);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (got < 12) throw embeddingsError(path, "truncated .npy header");
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw embeddingsError(path, `unsupported .npy format version ${major}.${pre[7]}`);
  }
  const raw = new Uint8Array(headerLength);
  if ((await readExactly(fh, raw, headerStart, path)) < headerLength)
    throw embeddingsError(path, "truncated .npy header");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(raw);

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw embeddingsError(path, `cannot read the .npy header ${JSON.stringify(header.trim())}`);
  }
  if (!(descr in ITEM_BYTES)) {
    throw embeddingsError(
      path,
      `embeddings have dtype ${descr}; expected float32 (<f4; <f8 and <f2 are converted)`,
      "convert them: numpy.save(path, arr.astype('<f4'))",
    );
  }
  if (fortran === "True") {
    throw embeddingsError(
      path,
      "embeddings are stored in Fortran (column-major) order",
      "save them in C order: numpy.save(path, numpy.ascontiguousarray(arr))",
    );
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim().replace(/L$/, ""))
    .filter((s) => s !== "")
    .map(Number);
  if (shape.length !== 2 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw embeddingsError(
      path,
      `embeddings have shape (${shapeText.trim()}); expected 2 dimensions (rows, dims)`,
      "save a 2-D array with one row per input row: numpy.save(path, arr.reshape(len(arr), -1))",
    );
  }
  return { dtype: descr as Dtype, rows: shape[0]!, cols: shape[1]!, dataStart: headerStart + headerLength };
}

/** A .npy file's header, checked against the file's size. */
export interface NpyInfo {
  path: string;
  dtype: Dtype;
  rows: number;
  cols: number;
  /** Byte offset of the data. */
  dataStart: number;
  /** Size of the file in bytes. */
  size: number;
}

/** Reads and checks the header of a 2-D .npy file (the data is not read). */
export async function readNpyInfo(path: string): Promise<NpyInfo> {
  const fh = await openForRead(path);
  try {
    const { dtype, rows, cols, dataStart } = await readHeader(fh, path);
    const needed = rows * cols * ITEM_BYTES[dtype];
    const { size } = await fh.stat();
    if (size - dataStart < needed) {
      throw embeddingsError(
        path,
        `file is truncated: shape (${rows}, ${cols}) needs ${needed} data bytes, found ${Math.max(0, size - dataStart)}`,
      );
    }
    return { path, dtype, rows, cols, dataStart, size };
  } finally {
    await fh.close();
  }
}

/** Something that takes the file's bytes in order (a sha256 hash). */
export interface ByteSink {
  update(bytes: Uint8Array): unknown;
}

/**
 * Reads the data of `info` into target[rowOffset * cols ..], block by block with no second copy of the
 * file: float32 straight into the target's bytes, float64 and float16 converted a chunk at a time
 * (float16 NaN or ±Infinity is an error naming the file and row). With `hash`, every byte of the file
 * (header, data, anything after) goes through it in order, so its digest is the file's.
 */
export async function readNpyInto(
  info: NpyInfo,
  target: Float32Array,
  rowOffset: number,
  hash?: ByteSink,
): Promise<void> {
  const { path, dtype, rows, cols, dataStart, size } = info;
  const count = rows * cols;
  if (target.length < (rowOffset + rows) * cols)
    throw new RangeError(
      `readNpyInto: target has room for ${target.length} values, needs ${(rowOffset + rows) * cols}`,
    );
  const fh = await openForRead(path);
  try {
    if (hash) {
      const head = new Uint8Array(dataStart);
      await readExactly(fh, head, 0, path);
      hash.update(head);
    }
    const item = ITEM_BYTES[dtype];
    const base = rowOffset * cols;
    if (dtype === "<f4") {
      const bytes = new Uint8Array(target.buffer, target.byteOffset + base * 4, count * 4);
      for (let at = 0; at < bytes.length; at += MAX_READ) {
        const part = bytes.subarray(at, Math.min(bytes.length, at + MAX_READ));
        await readExactly(fh, part, dataStart + at, path);
        hash?.update(part);
      }
    } else {
      const chunk = new Uint8Array(Math.min(Math.max(count, 1), CONVERT_CHUNK) * item);
      for (let at = 0; at < count; at += CONVERT_CHUNK) {
        const n = Math.min(CONVERT_CHUNK, count - at);
        const part = chunk.subarray(0, n * item);
        await readExactly(fh, part, dataStart + at * item, path);
        hash?.update(part);
        if (dtype === "<f8") {
          const src = new Float64Array(chunk.buffer, 0, n);
          for (let i = 0; i < n; i++) target[base + at + i] = src[i]!;
        } else {
          const src = new Uint16Array(chunk.buffer, 0, n);
          const half = halfTable();
          for (let i = 0; i < n; i++) {
            const h = src[i]!;
            if ((h & 0x7c00) === 0x7c00) {
              throw halfNonFinite(path, h, at + i, cols);
            }
            target[base + at + i] = half[h]!;
          }
        }
      }
    }
    // NaN or ±Infinity in any row would make every distance to it NaN: refused here, naming file and row.
    checkFinite(target.subarray(base, base + count), rows, cols, path);
    if (hash) await hashRest(fh, path, dataStart + count * item, size, hash);
  } finally {
    await fh.close();
  }
}

/**
 * Refuses a matrix holding NaN or ±Infinity (a distance to such a row is NaN, which every ordering, k-means
 * and eigenvalue step would silently mishandle), naming the .npy file and the row (1-based; row i of the
 * file belongs to input row i).
 */
export function checkFinite(data: Float32Array, rows: number, cols: number, path: string): void {
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    let z = 0;
    for (let k = 0; k < cols; k++) z += data[off + k]! * 0; // NaN iff some value is NaN or ±Infinity
    if (z === 0) continue;
    let col = 0;
    while (Number.isFinite(data[off + col]!)) col++;
    const v = data[off + col]!;
    throw new ArrangeError(
      "embeddings",
      `embedding row ${i + 1} (index ${i}) holds ${Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"} at column ${col}`,
      {
        file: path,
        line: i + 1,
        fix: `re-embed the data (row ${i + 1} of ${path} belongs to input row ${i + 1}; check that example and the model's output), or drop that example and its row`,
      },
    );
  }
}

/**
 * Reads a float16 file's data as its raw bits into target[rowOffset * cols ..] (no conversion: the
 * streaming TMA engine converts one block at a time), refusing NaN and ±Infinity with the file and row
 * as readNpyInto does. With `hash`, every byte of the file goes through it in order.
 */
export async function readNpyHalfInto(
  info: NpyInfo,
  target: Uint16Array,
  rowOffset: number,
  hash?: ByteSink,
): Promise<void> {
  const { path, dtype, rows, cols, dataStart, size } = info;
  if (dtype !== "<f2") throw new RangeError(`readNpyHalfInto: ${path} is ${dtype}, not <f2`);
  const count = rows * cols;
  if (target.length < (rowOffset + rows) * cols)
    throw new RangeError(
      `readNpyHalfInto: target has room for ${target.length} values, needs ${(rowOffset + rows) * cols}`,
    );
  const fh = await openForRead(path);
  try {
    const head = new Uint8Array(dataStart);
    await readExactly(fh, head, 0, path);
    hash?.update(head);
    const base = rowOffset * cols;
    const bytes = new Uint8Array(target.buffer, target.byteOffset + base * 2, count * 2);
    for (let at = 0; at < bytes.length; at += MAX_READ) {
      const part = bytes.subarray(at, Math.min(bytes.length, at + MAX_READ));
      await readExactly(fh, part, dataStart + at, path);
      hash?.update(part);
    }
    const bits = target.subarray(base, base + count);
    for (let i = 0; i < count; i++) {
      const h = bits[i]!;
      if ((h & 0x7c00) !== 0x7c00) continue;
      throw halfNonFinite(path, h, i, cols);
    }
    if (hash) await hashRest(fh, path, dataStart + count * 2, size, hash);
  } finally {
    await fh.close();
  }
}

/** The error for a float16 NaN or ±Infinity (bits h) at value index `at` of a file with `cols` columns. */
function halfNonFinite(path: string, h: number, at: number, cols: number): ArrangeError {
  const row = Math.floor(at / cols);
  return new ArrangeError(
    "embeddings",
    `row ${row + 1} holds ${h & 0x3ff ? "NaN" : "Infinity"} (float16, column ${at % cols})`,
    {
      file: path,
      line: row + 1,
      fix: "re-embed that row, or replace non-finite values before saving (float16 overflows above 65504: save float32 instead)",
    },
  );
}

/** Passes the bytes of the file after its data (from `end` to `size`) through the hash. */
async function hashRest(
  fh: FileHandle,
  path: string,
  end: number,
  size: number,
  hash: ByteSink,
): Promise<void> {
  for (let at = end; at < size; at += MAX_READ) {
    const part = new Uint8Array(Math.min(MAX_READ, size - at));
    await readExactly(fh, part, at, path);
    hash.update(part);
  }
}

/** A Float32Array of `count` values, or an error naming the file when it cannot be had. */
export function allocateEmbeddings(count: number, rows: number, cols: number, path: string): Float32Array {
  try {
    return new Float32Array(count);
  } catch (cause) {
    throw new ArrangeError("embeddings", `cannot hold ${rows} x ${cols} floats in memory: ${String(cause)}`, {
      file: path,
      fix: "use fewer rows or a smaller embedding size",
      cause,
    });
  }
}

/**
 * Read a 2-D float32 .npy file (format versions 1–3) straight into a Float32Array; float64 and float16 files
 * are converted chunk by chunk. Assumes a little-endian host, like every platform Node supports in practice.
 */
export async function readNpy(path: string, hash?: ByteSink): Promise<NpyMatrix> {
  const info = await readNpyInfo(path);
  const data = allocateEmbeddings(info.rows * info.cols, info.rows, info.cols, path);
  await readNpyInto(info, data, 0, hash);
  return info.dtype === "<f4"
    ? { data, rows: info.rows, cols: info.cols }
    : { data, rows: info.rows, cols: info.cols, converted: info.dtype };
}

/** Write a matrix as a .npy v1.0 float32 C-order file, atomically. */
export async function writeNpy(path: string, m: Matrix): Promise<void> {
  if (!Number.isSafeInteger(m.rows) || !Number.isSafeInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw usageError(
      `matrix has invalid shape ${m.rows} x ${m.cols}`,
      undefined,
      "pass non-negative integer rows and cols",
    );
  }
  if (m.data.length !== m.rows * m.cols) {
    throw usageError(
      `matrix data has ${m.data.length} values but ${m.rows} x ${m.cols} needs ${m.rows * m.cols}`,
      undefined,
      "pass data of length rows * cols",
    );
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  // Pad so that the data starts at a multiple of 64 bytes; the header ends with a newline.
  const unpadded = 10 + dict.length + 1;
  const header = `${dict}${" ".repeat((64 - (unpadded % 64)) % 64)}\n`;
  const pre = Buffer.alloc(10);
  pre.set(MAGIC, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  await atomicWrite(path, async (fh) => {
    await writeAll(fh, Buffer.concat([pre, Buffer.from(header, "latin1")]));
    const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    for (let at = 0; at < bytes.length; at += MAX_READ) await writeAll(fh, bytes.subarray(at, at + MAX_READ));
  });
}
