import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrangeError } from "../../src/core/errors.js";
import { findPython, type TrainOptions, train } from "../../src/train/index.js";
import { EXAMPLE_TEST, EXAMPLE_TRAIN, tempDir } from "../helpers/tmp.js";

const START =
  '{"event":"start","protocol":1,"model":"fake","device":"cpu","torch":"0","threads":1,"world":1,"trainExamples":1200,"evalExamples":152,"steps":75,"batchSize":16,"maxLength":512}';

/** A stand-in "python": answers the probe like a Python with torch, then runs `body` as the trainer. */
async function fakePython(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `#!/bin/sh\nif [ "$1" = "-c" ]; then echo '{"executable":"${path}","python":"3","torch":"0.fake","cuda":false,"transformers":null}'; exit 0; fi\n${body}\n`,
  );
  await chmod(path, 0o755);
  return path;
}

async function failure(p: Promise<unknown>): Promise<ArrangeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ArrangeError);
    return e as ArrangeError;
  }
  throw new Error("expected the run to fail");
}

describe("trainer launcher", () => {
  it("says how to install PyTorch when no Python has it", async () => {
    const dir = await tempDir();
    const noTorch = join(dir, "py-no-torch");
    await writeFile(noTorch, "#!/bin/sh\necho 'ModuleNotFoundError: No module named torch' >&2\nexit 1\n");
    await chmod(noTorch, 0o755);
    const e = await failure(findPython(noTorch));
    expect(e.code).toBe("trainer");
    expect(e.describe()).toMatch(/apt-get install python3-torch/);
    expect(e.describe()).toMatch(/--python/);
    const missing = await failure(findPython(join(dir, "does-not-exist")));
    expect(missing.message).toMatch(/ENOENT/);
    // The environment variable is used when --python is not given.
    const viaEnv = await failure(findPython(undefined, { INSTRUCT_ARRANGE_PYTHON: noTorch }));
    expect(viaEnv.message).toContain(noTorch);
  });

  it("finds a Python that reports torch", async () => {
    const dir = await tempDir();
    const py = await fakePython(dir, "py-ok", "exit 0");
    const info = await findPython(py);
    expect(info.torch).toBe("0.fake");
    expect(info.transformers).toBeNull();
  });

  const cases: [string, string, RegExp, string][] = [
    [
      "a Python crash becomes a trainer error with the log's last lines and its path",
      `echo '${START}'; echo 'Traceback (most recent call last):' >&2; echo 'RuntimeError: boom' >&2; exit 1`,
      /exited with status 1; its log ends with:\n[\s\S]*RuntimeError: boom/,
      "trainer",
    ],
    [
      "an error event is reported with its message",
      `echo '${START}'; echo '{"event":"error","kind":"runtime","message":"RuntimeError: out of cheese"}'; exit 1`,
      /the trainer stopped: RuntimeError: out of cheese/,
      "trainer",
    ],
    [
      "a configuration error event is a usage error",
      `echo '{"event":"error","kind":"config","message":"max_length 9999 is longer than the model context (512)"}'; exit 1`,
      /max_length 9999/,
      "usage",
    ],
    [
      "a line that is not the protocol stops the run",
      "echo 'hello from a stray print'; sleep 30",
      /line 1 is not JSON: hello from a stray print/,
      "trainer",
    ],
    ["a trainer killed by a signal", `echo '${START}'; kill -9 $$`, /killed by SIGKILL/, "trainer"],
    [
      "a trainer that ends without finishing",
      `echo '${START}'; exit 0`,
      /ended without finishing/,
      "trainer",
    ],
  ];
  for (const [title, body, message, code] of cases) {
    it(title, async () => {
      const dir = await tempDir();
      const py = await fakePython(dir, `py-${code}-${title.length}`, body);
      const out = join(dir, "run");
      const e = await failure(train({ data: EXAMPLE_TRAIN, eval: EXAMPLE_TEST, out, python: py }));
      expect(e.code).toBe(code);
      expect(e.describe()).toMatch(message);
      if (code === "trainer") expect(e.file).toBe(join(out, "trainer.log"));
    }, 20_000);
  }

  it("keeps the trainer's stderr in RUN_DIR/trainer.log", async () => {
    const dir = await tempDir();
    const py = await fakePython(dir, "py-log", "echo 'line one' >&2; echo 'line two' >&2; exit 3");
    const out = join(dir, "run");
    await failure(train({ data: EXAMPLE_TRAIN, eval: EXAMPLE_TEST, out, python: py }));
    expect(await readFile(join(out, "trainer.log"), "utf8")).toBe("line one\nline two\n");
  });

  it("validates options before launching anything", async () => {
    const dir = await tempDir();
    const base = {
      data: EXAMPLE_TRAIN,
      eval: EXAMPLE_TEST,
      out: join(dir, "run"),
      python: join(dir, "never-run"),
    };
    const bad: [Partial<TrainOptions>, string][] = [
      [{ model: "builtin:huge" }, "--model"],
      [{ model: join(dir, "no-such-dir") }, "--model"],
      [{ batchSize: 4, gradAccum: 8 }, "--grad-accum"],
      [{ lr: 0 }, "--lr"],
      [{ minLrRatio: 2 }, "--min-lr-ratio"],
      [{ maxSteps: 5, generateAt: [6] }, "--generate-at"],
      [{ maxSteps: 5, saveAt: [9] }, "--save-at"],
    ];
    for (const [extra, option] of bad) {
      const e = await failure(train({ ...base, ...extra }));
      expect(e.code).toBe("usage");
      expect(e.describe()).toContain(option);
    }
  });
});
