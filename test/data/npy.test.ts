import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { readNpy, writeNpy } from "../../src/data/npy.js";
import { put, rejection, tempDir } from "./util.js";

const dir = await tempDir();

/** A .npy file by hand: any version, dtype, header text and payload. */
function npyBytes(header: string, payload: Uint8Array, major = 1): Buffer {
  const unpadded = (major === 1 ? 10 : 12) + header.length + 1;
  const text = `${header}${" ".repeat((64 - (unpadded % 64)) % 64)}\n`;
  const pre = Buffer.alloc(major === 1 ? 10 : 12);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(pre);
  if (major === 1) pre.writeUInt16LE(text.length, 8);
  else pre.writeUInt32LE(Buffer.byteLength(text), 8);
  return Buffer.concat([pre, Buffer.from(text, major === 3 ? "utf8" : "latin1"), payload]);
}

const bytesOf = (a: Float32Array | Float64Array | Uint16Array) =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("npy", () => {
  it("round-trips float32 matrices with a 64-byte aligned v1.0 header", async () => {
    const data = Float32Array.from({ length: 3 * 5 }, (_, i) => i * 0.5 - 3);
    const path = join(dir, "m.npy");
    await writeNpy(path, { data, rows: 3, cols: 5 });
    const raw = await readFile(path);
    expect(raw.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    expect((10 + raw.readUInt16LE(8)) % 64).toBe(0);
    const m = await readNpy(path);
    expect([m.rows, m.cols, m.converted]).toEqual([3, 5, undefined]);
    expect(m.data).toEqual(data);
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("writes from a subarray view and an empty matrix", async () => {
    const base = Float32Array.from([9, 1, 2, 3, 4, 9]);
    const path = join(dir, "view.npy");
    await writeNpy(path, { data: base.subarray(1, 5), rows: 2, cols: 2 });
    expect(Array.from((await readNpy(path)).data)).toEqual([1, 2, 3, 4]);
    await writeNpy(path, { data: new Float32Array(0), rows: 0, cols: 384 });
    expect(await readNpy(path)).toMatchObject({ rows: 0, cols: 384 });
  });

  it("reads v2 and v3 headers", async () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    for (const major of [2, 3]) {
      const path = await put(
        dir,
        `v${major}.npy`,
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytesOf(data), major),
      );
      const m = await readNpy(path);
      expect([m.rows, m.cols, Array.from(m.data)]).toEqual([2, 3, [1, 2, 3, 4, 5, 6]]);
    }
  });

  it("converts float64 and float16 and says so", async () => {
    const f8 = Float64Array.from([0.1, -2.5, 1e10, 3]);
    let path = await put(
      dir,
      "f8.npy",
      npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", bytesOf(f8)),
    );
    let m = await readNpy(path);
    expect(m.converted).toBe("<f8");
    expect(Array.from(m.data)).toEqual(Array.from(Float32Array.from(f8)));
    // 1.0, -2.0, 0.5, 65504 (max half), smallest subnormal, -0.25
    const f2 = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0xb400]);
    path = await put(
      dir,
      "f2.npy",
      npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }", bytesOf(f2)),
    );
    m = await readNpy(path);
    expect(m.converted).toBe("<f2");
    expect(Array.from(m.data)).toEqual([1, -2, 0.5, 65504, Math.fround(2 ** -24), -0.25]);
  });

  it("refuses float16 NaN and Infinity, naming the file and row", async () => {
    for (const [bits, what] of [
      [0x7c00, "Infinity"],
      [0xfc00, "Infinity"],
      [0x7e00, "NaN"],
    ] as const) {
      const f2 = Uint16Array.from([0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00, bits]);
      const path = await put(
        dir,
        `bad-${bits}.npy`,
        npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }", bytesOf(f2)),
      );
      const e = (await readNpy(path).catch((x: unknown) => x)) as ArrangeError;
      expect(e).toBeInstanceOf(ArrangeError);
      expect(e.file).toBe(path);
      expect(e.line).toBe(3);
      expect(e.message).toContain(what);
      expect(e.fix).toMatch(/float32/);
    }
  });

  it("hashes the whole file while reading it", async () => {
    const f4 = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const path = await put(
      dir,
      "h.npy",
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", bytesOf(f4)),
    );
    const h = createHash("sha256");
    const m = await readNpy(path, h);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.digest("hex")).toBe(
      createHash("sha256")
        .update(await readFile(path))
        .digest("hex"),
    );
  });

  it("rejects Fortran order, other dtypes, wrong dimensions, truncation and non-npy files", async () => {
    const payload = bytesOf(new Float32Array(6));
    const cases: [string, string | Buffer, RegExp, RegExp][] = [
      [
        "fortran",
        npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", payload),
        /Fortran/,
        /ascontiguousarray/,
      ],
      [
        "int",
        npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", payload),
        /dtype <i4/,
        /astype/,
      ],
      [
        "bigendian",
        npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", payload),
        /dtype >f4/,
        /astype/,
      ],
      [
        "onedim",
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", payload),
        /shape \(6,\)/,
        /reshape/,
      ],
      [
        "threedim",
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", payload),
        /2 dimensions/,
        /reshape/,
      ],
      [
        "short",
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", payload),
        /truncated/,
        /numpy.save/,
      ],
      ["text", "just text, not numpy", /not a .npy file/, /numpy.save/],
    ];
    for (const [name, content, message, fix] of cases) {
      const path = await put(dir, `${name}.npy`, content);
      const e = await rejection(readNpy(path));
      expect(e.code, name).toBe("embeddings");
      expect(e.file, name).toBe(path);
      expect(e.message, name).toMatch(message);
      expect(e.fix, name).toMatch(fix);
    }
    expect((await rejection(readNpy(join(dir, "absent.npy")))).code).toBe("io");
  });

  it("rejects a matrix whose data does not match its shape", async () => {
    const e = await rejection(
      writeNpy(join(dir, "bad.npy"), { data: new Float32Array(5), rows: 2, cols: 3 }),
    );
    expect(e.code).toBe("usage");
  });

  const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
  it.skipIf(!hasNumpy)("numpy reads our files and we read numpy's", async () => {
    const data = Float32Array.from({ length: 4 * 3 }, (_, i) => Math.sin(i));
    const ours = join(dir, "ours.npy");
    await writeNpy(ours, { data, rows: 4, cols: 3 });
    const theirs = join(dir, "theirs.npy");
    const script = [
      "import numpy as np, sys",
      "a = np.load(sys.argv[1])",
      "assert a.dtype == np.float32 and a.shape == (4, 3), (a.dtype, a.shape)",
      "assert np.allclose(a.ravel(), np.sin(np.arange(12)).astype(np.float32)), a",
      "np.save(sys.argv[2], (np.arange(6, dtype=np.float32).reshape(2, 3) / 4))",
      "np.save(sys.argv[2] + '.f8.npy', np.arange(6, dtype=np.float64).reshape(3, 2))",
    ].join("\n");
    const run = spawnSync("python3", ["-c", script, ours, theirs], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const m = await readNpy(theirs);
    expect([m.rows, m.cols, Array.from(m.data)]).toEqual([2, 3, [0, 0.25, 0.5, 0.75, 1, 1.25]]);
    const m8 = await readNpy(`${theirs}.f8.npy`);
    expect([m8.rows, m8.cols, m8.converted, Array.from(m8.data)]).toEqual([3, 2, "<f8", [0, 1, 2, 3, 4, 5]]);
  });
  if (!hasNumpy)
    console.warn("npy.test: python3 with numpy not found; skipping the numpy interoperability test");
});
