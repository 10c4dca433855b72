import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { halfMatrix, halfTable, halfToFloat32, selectRows } from "../../src/linalg/half.js";
import {
  gatherUnitRows,
  gatherUnitRowsHalf,
  rowScales,
  rowScalesHalf,
  unitRowsBlock,
  unitRowsBlockHalf,
} from "../../src/linalg/normalize-rows.js";
import { randomHalf } from "./half-helpers.js";

describe("float16 in memory", () => {
  const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
  it.skipIf(!hasNumpy)(
    "the conversion table equals numpy's float16 → float32 for all 65,536 bit patterns",
    () => {
      const script =
        "import numpy as np, sys; sys.stdout.buffer.write(np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32).tobytes())";
      const run = spawnSync("python3", ["-c", script], { maxBuffer: 1 << 20 });
      expect(run.status).toBe(0);
      const theirs = new Uint32Array(new Uint8Array(run.stdout).buffer);
      const ours = new Uint32Array(halfTable().buffer);
      let diff = 0;
      for (let h = 0; h < 65536; h++) {
        const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
        // NaN payloads may differ; NaN must stay NaN.
        if (nan) expect(Number.isNaN(halfTable()[h])).toBe(true);
        else if (ours[h] !== theirs[h]) diff++;
      }
      expect(diff).toBe(0);
    },
  );

  it("row scales, blocks and gathered rows equal the float32 path on the converted values", () => {
    const rows = 57;
    const cols = 13;
    const bits = randomHalf(rows, cols, 3);
    const f32 = halfToFloat32(bits);
    const s32 = rowScales(f32, rows, cols);
    const s16 = rowScalesHalf(bits, rows, cols);
    expect(Array.from(s16)).toEqual(Array.from(s32));
    expect(s32.some((v) => v !== 1 && v !== 0)).toBe(true);
    expect(s32.some((v) => v === 0)).toBe(true);
    const a = unitRowsBlock(f32, 5, 40, cols, new Float32Array(40 * cols), s32);
    const b = unitRowsBlockHalf(bits, 5, 40, cols, new Float32Array(40 * cols), s16);
    expect(Array.from(b)).toEqual(Array.from(a));
    const ids = Int32Array.from([56, 0, 3, 3, 17, 40]);
    const g32 = gatherUnitRows(f32, ids, 1, 5, cols, s32, new Float32Array(5 * cols));
    const g16 = gatherUnitRowsHalf(bits, ids, 1, 5, cols, s16, new Float32Array(5 * cols));
    expect(Array.from(g16)).toEqual(Array.from(g32));
  });

  it("a half matrix converts once, on first access to data, and selectRows keeps it half", () => {
    const bits = randomHalf(6, 4, 9);
    let conversions = 0;
    const m = halfMatrix(bits, 6, 4, () => conversions++);
    const kept = selectRows(m, [1, 4, 5]);
    expect(conversions).toBe(0);
    expect(kept.half).toBeDefined();
    expect(Array.from(kept.half!)).toEqual([...bits.subarray(4, 8), ...bits.subarray(16, 24)]);
    expect(m.data).toBe(m.data);
    expect(conversions).toBe(1);
    expect(Array.from(m.data)).toEqual(Array.from(halfToFloat32(bits)));
  });
});
