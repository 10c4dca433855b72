import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import picomatch from "picomatch";
import { isDynamicPattern } from "tinyglobby";
import { usageError } from "../core/errors.js";
import { isInside, pathExists, realPathOf, staticBase } from "./sources.js";

/** A run manifest's default path: beside `out`, `<name without extension>.manifest.json`. */
export function defaultManifestPath(out: string): string {
  return join(dirname(out), `${basename(out, extname(out))}.manifest.json`);
}

/** An input of a command: a file, a directory, or a quoted glob, with the option that named it. */
export interface GuardedInput {
  flag: string;
  path: string | undefined;
  /**
   * A directory read as a whole (a model, a checkpoint), never walked for data files: only an output equal
   * to it is refused, not one inside it.
   */
  notData?: boolean;
}

/** An output of a command: a file or a directory it writes, with the option that named it. */
export interface GuardedOutput {
  flag: string;
  path: string | undefined;
  kind: "file" | "dir";
  /** Extensions the file may have (lower case, with the dot); undefined = any. */
  extensions?: readonly string[];
  /** How to name the file when the extension is wrong. */
  extensionFix?: string;
  /** A directory that only receives files of its own names (chart images): it may hold inputs. */
  mayHoldInputs?: boolean;
}

interface Place {
  flag: string;
  given: string;
  real: string;
  isDir: boolean;
  glob?: { base: string; match: (path: string) => boolean };
}

/**
 * Check every output path of a command before any input is read, so that no output can overwrite an input,
 * be read back as an input by a later run, or collide with another output, and so that a bad path fails at
 * once rather than after the work. Each problem is a usage error (exit 2) that names both paths.
 */
export async function checkOutputPaths(inputs: GuardedInput[], outputs: GuardedOutput[]): Promise<void> {
  const ins: Place[] = [];
  for (const input of inputs) {
    if (input.path === undefined || input.path === "") continue;
    const place = await placeOf(input.flag, input.path);
    if (input.notData === true) place.isDir = false;
    ins.push(place);
  }
  const outs: { out: GuardedOutput; place: Place }[] = [];
  for (const out of outputs) {
    if (out.path === undefined || out.path === "") continue;
    const place = await placeOf(out.flag, out.path);
    await checkShape(out);
    for (const input of ins) checkAgainstInput(out, place, input);
    for (const other of outs) {
      if (other.place.real === place.real)
        throw usageError(
          `${out.flag} ${out.path} and ${other.out.flag} ${other.out.path} name the same file`,
          out.flag,
          `give ${out.flag} and ${other.out.flag} different paths`,
        );
    }
    outs.push({ out, place });
  }
}

async function placeOf(flag: string, path: string): Promise<Place> {
  if (isDynamicPattern(path, { caseSensitiveMatch: true }) && !(await pathExists(path))) {
    const base = staticBase(path);
    const realBase = await realPathOf(base);
    const matcher = picomatch(resolve(path), { dot: false });
    return {
      flag,
      given: path,
      real: realBase,
      isDir: true,
      glob: {
        base: realBase,
        // Match on the output path as given (absolute), and under the real base in case links differ.
        match: (p: string) => matcher(resolve(p)) || matcher(resolve(base, relative(realBase, p))),
      },
    };
  }
  const real = await realPathOf(path);
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    isDir = false;
  }
  return { flag, given: path, real, isDir };
}

function checkAgainstInput(out: GuardedOutput, place: Place, input: Place): void {
  const o = `${out.flag} ${out.path}`;
  const i = `${input.flag} ${input.given}`;
  if (input.glob !== undefined) {
    if (out.kind === "file" && (input.glob.match(place.real) || input.glob.match(out.path!)))
      throw usageError(
        `${o} matches the input pattern ${i}: a later run would read the output back as data`,
        out.flag,
        `write ${out.flag} outside ${input.glob.base}, or name it so the pattern does not match`,
      );
    if (
      out.kind === "dir" &&
      out.mayHoldInputs !== true &&
      (place.real === input.glob.base || isInside(input.glob.base, place.real))
    )
      throw usageError(
        `${o} holds the input files of ${i}: files written there could overwrite them or be read back`,
        out.flag,
        `give ${out.flag} a directory outside ${input.glob.base}`,
      );
    return;
  }
  if (place.real === input.real)
    throw usageError(
      `${o} is the input ${i}: writing it would destroy the input`,
      out.flag,
      `give ${out.flag} a new path`,
    );
  if (input.isDir && isInside(place.real, input.real))
    throw usageError(
      `${o} is inside the input directory ${i}: the output would be read back as data by the next run`,
      out.flag,
      `write ${out.flag} outside ${input.given}`,
    );
  if (out.kind === "dir" && out.mayHoldInputs !== true && isInside(input.real, place.real))
    throw usageError(
      `${o} holds the input ${i}: files written there could overwrite it or be read back`,
      out.flag,
      `give ${out.flag} a directory that does not hold the inputs`,
    );
}

async function checkShape(out: GuardedOutput): Promise<void> {
  const path = out.path!;
  let st: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    st = await stat(path);
  } catch {
    st = undefined;
  }
  if (out.kind === "file") {
    if (st?.isDirectory())
      throw usageError(
        `${out.flag} ${path} is a directory`,
        out.flag,
        `give ${out.flag} a file path, e.g. ${path.replace(/\/+$/, "")}/out${out.extensions?.[0] ?? ".json"}`,
      );
    if (st !== undefined && !st.isFile())
      throw usageError(
        `${out.flag} ${path} exists and is not a regular file`,
        out.flag,
        `give ${out.flag} another path`,
      );
    if (out.extensions !== undefined && !out.extensions.includes(extname(path).toLowerCase()))
      throw usageError(
        `${out.flag} ${path} must end in ${out.extensions.join(" or ")}`,
        out.flag,
        out.extensionFix ??
          `name it e.g. ${path.slice(0, path.length - extname(path).length)}${out.extensions[0]}`,
      );
  } else if (st !== undefined && !st.isDirectory()) {
    throw usageError(
      `${out.flag} ${path} exists and is not a directory`,
      out.flag,
      `give ${out.flag} a directory path`,
    );
  }
  // The nearest existing ancestor must be a writable directory.
  let dir = out.kind === "dir" && st !== undefined ? path : dirname(resolve(path));
  for (;;) {
    let dst: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      dst = await stat(dir);
    } catch {
      dst = undefined;
    }
    if (dst !== undefined) {
      if (!dst.isDirectory())
        throw usageError(
          `${out.flag} ${path} cannot be created: ${dir} is a file, not a directory`,
          out.flag,
          `give ${out.flag} a path whose parent is a directory`,
        );
      try {
        await access(dir, constants.W_OK);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        throw usageError(
          `${out.flag} ${path} cannot be written: ${dir} is ${code === "EROFS" ? "on a read-only file system" : "not writable"}`,
          out.flag,
          `give ${out.flag} a path in a writable directory`,
        );
      }
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
}
