import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArrangeError } from "../core/errors.js";
import { type Environment, readSettings } from "../core/settings.js";

/** A Python interpreter that can run the trainer, and what it found. */
export interface PythonInfo {
  /** The command or path as it was tried. */
  path: string;
  /** The interpreter's own sys.executable. */
  executable: string;
  python: string;
  torch: string;
  cuda: boolean;
  /** transformers version, when importable (model directories need it). */
  transformers: string | null;
}

/** The environment variable naming the Python to use when --python is not given. */
export const PYTHON_ENV = "INSTRUCT_ARRANGE_PYTHON";

/** Interpreters tried, in order, when neither --python nor INSTRUCT_ARRANGE_PYTHON names one. */
export const DEFAULT_PYTHONS: readonly string[] = ["python3", "/usr/bin/python3"];

const PROBE = [
  "import json, sys",
  "out = {'executable': sys.executable, 'python': sys.version.split()[0]}",
  "try:",
  "    import torch",
  "    out['torch'] = torch.__version__",
  "    out['cuda'] = bool(torch.cuda.is_available())",
  "except Exception as e:",
  "    out['error'] = type(e).__name__ + ': ' + str(e)",
  "try:",
  "    import transformers",
  "    out['transformers'] = transformers.__version__",
  "except Exception:",
  "    out['transformers'] = None",
  "print(json.dumps(out))",
].join("\n");

type Probe = { ok: true; info: PythonInfo } | { ok: false; why: string };

const cache = new Map<string, Promise<Probe>>();

function probe(path: string): Promise<Probe> {
  let p = cache.get(path);
  if (p === undefined) {
    p = new Promise<Probe>((resolve) => {
      let out = "";
      let err = "";
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(path, ["-c", PROBE], { stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        resolve({ ok: false, why: (e as Error).message });
        return;
      }
      child.stdout?.on("data", (d) => {
        out += d;
      });
      child.stderr?.on("data", (d) => {
        err += d;
      });
      child.on("error", (e) => resolve({ ok: false, why: (e as NodeJS.ErrnoException).code ?? e.message }));
      child.on("close", (code) => {
        if (code !== 0) {
          resolve({ ok: false, why: `exited with status ${code}: ${err.trim().split("\n").pop() ?? ""}` });
          return;
        }
        try {
          const r = JSON.parse(out.trim().split("\n").pop() ?? "") as Record<string, unknown>;
          if (typeof r.torch !== "string") {
            resolve({ ok: false, why: `no torch (${String(r.error ?? "import failed")})` });
            return;
          }
          resolve({
            ok: true,
            info: {
              path,
              executable: String(r.executable),
              python: String(r.python),
              torch: r.torch,
              cuda: r.cuda === true,
              transformers: typeof r.transformers === "string" ? r.transformers : null,
            },
          });
        } catch {
          resolve({ ok: false, why: `unexpected output: ${out.slice(0, 200)}` });
        }
      });
    });
    cache.set(path, p);
  }
  return p;
}

/**
 * The first Python that imports torch: `explicit` (--python) alone when given, else $INSTRUCT_ARRANGE_PYTHON
 * alone when set, else `python3` then `/usr/bin/python3`. Each interpreter is probed once per process.
 */
export async function findPython(explicit?: string, env: Environment = process.env): Promise<PythonInfo> {
  const fromEnv = readSettings(env).python;
  const candidates =
    explicit !== undefined ? [explicit] : fromEnv !== undefined ? [fromEnv] : DEFAULT_PYTHONS;
  const tried: string[] = [];
  for (const path of candidates) {
    const r = await probe(path);
    if (r.ok) return r.info;
    tried.push(`${path}: ${r.why}`);
  }
  const source =
    explicit !== undefined ? "--python" : candidates === DEFAULT_PYTHONS ? undefined : PYTHON_ENV;
  throw new ArrangeError("trainer", `no Python with PyTorch found (tried ${tried.join("; ")})`, {
    option: source === "--python" ? "--python" : undefined,
    fix:
      "install PyTorch >= 1.13 for a Python 3 (Debian/Ubuntu: apt-get install python3-torch; elsewhere: pip install torch), " +
      `then pass --python PATH or set ${PYTHON_ENV}=PATH if it is not python3 or /usr/bin/python3`,
  });
}

/** The directory holding the `instruct_trainer` package (the repository's or the installed package's trainer/). */
export function trainerDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "trainer");
    if (existsSync(join(candidate, "instruct_trainer", "__init__.py"))) return candidate;
    dir = dirname(dir);
  }
  throw new ArrangeError(
    "internal",
    "the trainer/ directory (the Python training backend) is missing from the installation",
    {
      fix: "reinstall instruct-arrange; the package must ship trainer/instruct_trainer",
    },
  );
}

/**
 * The environment of a trainer subprocess: this process's, with the trainer's directory first on
 * PYTHONPATH (then the user's) and unbuffered output, so events arrive as they happen.
 */
export function trainerEnvironment(env: Environment = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    PYTHONPATH: [trainerDir(), readSettings(env).pythonPath].filter(Boolean).join(":"),
    PYTHONUNBUFFERED: "1",
  };
}
