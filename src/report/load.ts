import { readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import type { DiversityReport } from "../analyze/diversity-report.js";
import type { Analysis } from "../analyze/types.js";
import { ArrangeError, inputError, usageError } from "../core/errors.js";
import { ioError } from "../data/io.js";
import type {
  ReportArrangement,
  ReportData,
  ReportDiversity,
  ReportManifest,
  ReportRun,
  TrainCurves,
} from "./types.js";

export const DEFAULT_TITLE = "instruct-arrange report";

async function readJson(path: string, what: string, fix: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const e = ioError(path, cause, `read the ${what}`);
    if ((cause as NodeJS.ErrnoException)?.code === "ENOENT")
      throw new ArrangeError("io", e.message, { file: path, fix, cause });
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw inputError(`the ${what} is not valid JSON: ${(cause as Error).message}`, path, undefined, fix);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function get(v: unknown, path: string): unknown {
  let cur = v;
  for (const key of path.split(".")) cur = isObject(cur) ? cur[key] : undefined;
  return cur;
}

const ANALYZE_FIX = "pass a file written by `instruct-arrange analyze --out FILE`";

/** Read an analysis JSON and check that it is one, with the sections a report draws. */
export async function readAnalysis(path: string): Promise<Analysis> {
  const json = await readJson(path, "analysis file", ANALYZE_FIX);
  if (!isObject(json) || json.kind !== "analysis" || json.tool !== "instruct-arrange") {
    if (isObject(json) && json.command === "diversity")
      throw inputError(
        "not an instruct-arrange analysis (it is a diversity report)",
        path,
        undefined,
        "pass it with --diversity FILE, and analyses (`instruct-arrange analyze --out FILE`) with --analysis",
      );
    const kind = isObject(json) && typeof json.kind === "string" ? ` (its kind is "${json.kind}")` : "";
    throw inputError(`not an instruct-arrange analysis${kind}`, path, undefined, ANALYZE_FIX);
  }
  const arrays = [
    "checkpoints.steps",
    "checkpoints.examples",
    "coverage.rows",
    "wsd.histogram.counts",
    "projection.points",
    "inputs.test.tasks",
  ];
  const objects = ["curves.overall", "curves.perTask", "inputs.train", "embedder"];
  const missing = [
    ...arrays.filter((p) => !Array.isArray(get(json, p))),
    ...objects.filter((p) => !isObject(get(json, p))),
    ...["checkpoints.batchSize", "checkpoints.saveSteps", "checkpoints.every"].filter(
      (p) => typeof get(json, p) !== "number",
    ),
  ];
  if (missing.length > 0)
    throw inputError(
      `the analysis lacks ${missing.join(", ")} (written by another version, or edited?)`,
      path,
      undefined,
      "rerun `instruct-arrange analyze` to write it again",
    );
  const a = json as unknown as Analysis;
  const n = a.checkpoints.steps.length;
  for (const [name, curve] of Object.entries(a.curves.overall))
    if (!Array.isArray(curve) || curve.length !== n)
      throw inputError(
        `the analysis curve ${name} has ${Array.isArray(curve) ? curve.length : "no"} values for ${n} checkpoints`,
        path,
        undefined,
        "rerun `instruct-arrange analyze` to write it again",
      );
  return a;
}

const DIVERSITY_FIX = "pass a file written by `instruct-arrange diversity --out FILE`";

const isNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);
/** Fields every set's figures carry (overall and per task); null allowed for the pairwise mean only. */
const SET_NUMBERS = [
  "rows",
  "vendi",
  "clusters.used",
  "clusters.entropy",
  "clusters.normalizedEntropy",
  "clusters.effective",
];

/** Read a diversity JSON (`diversity --out`) and check that it is one, with the figures a report draws. */
export async function readDiversity(path: string): Promise<DiversityReport> {
  const json = await readJson(path, "diversity file", DIVERSITY_FIX);
  if (!isObject(json) || json.command !== "diversity" || json.tool !== "instruct-arrange") {
    if (isObject(json) && json.kind === "analysis")
      throw inputError(
        "not a diversity report (it is an analysis)",
        path,
        undefined,
        "pass it with --analysis FILE, and diversity reports (`instruct-arrange diversity --out FILE`) with --diversity",
      );
    const kind = isObject(json) && typeof json.kind === "string" ? ` (its kind is "${json.kind}")` : "";
    throw inputError(`not an instruct-arrange diversity report${kind}`, path, undefined, DIVERSITY_FIX);
  }
  const rerun = "rerun `instruct-arrange diversity` to write it again";
  const badSet = (set: unknown, where: string): string[] => {
    const bad = SET_NUMBERS.filter((p) => !isNum(get(set, p))).map((p) => `${where}.${p}`);
    const mpd = get(set, "meanPairwiseCosineDistance");
    if (mpd !== null && !isNum(mpd)) bad.push(`${where}.meanPairwiseCosineDistance`);
    return bad;
  };
  const missing = [
    ...["input.rows", "input.tasks"].filter((p) => !isNum(get(json, p))),
    ...(isObject(json.embedder) ? [] : ["embedder"]),
    ...(isObject(json.overall) ? badSet(json.overall, "overall") : ["overall"]),
    ...(isNum(get(json, "overall.clusters.k")) ? [] : ["overall.clusters.k"]),
    ...(isObject(json.perTask) ? [] : ["perTask"]),
  ];
  const sizes = get(json, "overall.clusters.sizes");
  if (sizes !== undefined && (!Array.isArray(sizes) || !sizes.every(isNum)))
    missing.push("overall.clusters.sizes");
  if (missing.length > 0)
    throw inputError(
      `the diversity report lacks ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} (written by another version, or edited?)`,
      path,
      undefined,
      rerun,
    );
  for (const [task, set] of Object.entries(json.perTask as Record<string, unknown>)) {
    const bad = badSet(set, `perTask[${JSON.stringify(task)}]`);
    if (bad.length > 0)
      throw inputError(`the diversity report's ${bad[0]} is not a number`, path, undefined, rerun);
  }
  return json as unknown as DiversityReport;
}

const CURVES_FIX =
  "pass a training run directory holding curves.json, or the curves.json that `instruct-arrange train` writes";

/** Read `curves.json` (or `RUN_DIR/curves.json`) and check its shape. */
export async function readTrainCurves(pathOrDir: string): Promise<{ path: string; curves: TrainCurves }> {
  let path = pathOrDir;
  try {
    if ((await stat(pathOrDir)).isDirectory()) path = join(pathOrDir, "curves.json");
  } catch {
    // Missing: readJson names the file and the fix.
  }
  const json = await readJson(path, "training curves file", CURVES_FIX);
  if (!isObject(json) || json.kind !== "train-curves") {
    const kind = isObject(json) && typeof json.kind === "string" ? ` (its kind is "${json.kind}")` : "";
    throw inputError(`not a training curves file${kind}`, path, undefined, CURVES_FIX);
  }
  if (typeof json.batchSize !== "number" || !Array.isArray(json.points))
    throw inputError("the curves file lacks batchSize or points", path, undefined, CURVES_FIX);
  let last = Number.NEGATIVE_INFINITY;
  json.points.forEach((p: unknown, i: number) => {
    const step = get(p, "step");
    const loss = get(p, "test.loss");
    const train = get(p, "trainLoss");
    if (typeof step !== "number" || !(step > last))
      throw inputError(
        `points[${i}].step is ${JSON.stringify(step)}: steps must be numbers in ascending order`,
        path,
        undefined,
        "rewrite the file with one point per evaluation, ascending step",
      );
    if (typeof loss !== "number" && loss !== null)
      throw inputError(`points[${i}].test.loss is not a number`, path, undefined, CURVES_FIX);
    if (typeof train !== "number" && train !== null && train !== undefined)
      throw inputError(`points[${i}].trainLoss is not a number or null`, path, undefined, CURVES_FIX);
    last = step;
  });
  return { path, curves: json as unknown as TrainCurves };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The arrange manifest of an analysis' training file, if there is one: `arrange` writes it beside its
 * output as `<name>.manifest.json`. The recorded path is tried as given (relative to the working
 * directory), then relative to the analysis file.
 */
export async function findArrangeManifest(analysisPath: string, a: Analysis): Promise<string | undefined> {
  const train = a.inputs.train.path;
  if (typeof train !== "string" || train === "") return undefined;
  const name = `${basename(train, extname(train))}.manifest.json`;
  const candidates = [join(dirname(train), name)];
  if (!isAbsolute(train)) candidates.push(join(dirname(analysisPath), dirname(train), name));
  for (const c of candidates) if (await exists(c)) return c;
  return undefined;
}

/** Labels: as given, else the file name without extension; repeats get their parent directory, then a number. */
export function makeLabels(paths: string[], given: string[] | undefined, option: string): string[] {
  if (given !== undefined && given.length > 0) {
    if (given.length !== paths.length)
      throw usageError(
        `${given.length} ${option} for ${paths.length} files`,
        option,
        `give one ${option} per file, in the same order, or none`,
      );
    const seen = new Set<string>();
    for (const l of given) {
      if (seen.has(l))
        throw usageError(`the label "${l}" is given twice`, option, "give each one a different label");
      seen.add(l);
    }
    return given;
  }
  const stem = (p: string) => basename(p, extname(p));
  let labels = paths.map(stem);
  const repeated = (ls: string[]) => ls.map((l) => ls.filter((m) => m === l).length > 1);
  labels = labels.map((l, i) => (repeated(labels)[i] ? `${basename(dirname(resolve(paths[i]!)))}/${l}` : l));
  const count = new Map<string, number>();
  const rep = repeated(labels);
  return labels.map((l, i) => {
    if (!rep[i]) return l;
    const k = (count.get(l) ?? 0) + 1;
    count.set(l, k);
    return `${l} #${k}`;
  });
}

/** Every analysis must share one step axis: the same batch size and checkpoint spacing. */
function checkSpacing(arrangements: ReportArrangement[]): void {
  const first = arrangements[0]!;
  const c0 = first.analysis.checkpoints;
  for (const a of arrangements.slice(1)) {
    const c = a.analysis.checkpoints;
    if (c.batchSize !== c0.batchSize || c.saveSteps !== c0.saveSteps)
      throw inputError(
        `checkpoint spacing differs from ${first.path}: batch size ${c.batchSize} × save steps ${c.saveSteps} here, ` +
          `${c0.batchSize} × ${c0.saveSteps} there, so the curves do not share a step axis`,
        a.path,
        undefined,
        `rerun analyze on one of them with --batch-size ${c0.batchSize} --save-steps ${c0.saveSteps}`,
      );
  }
}

/**
 * Curves drawn on one chart compare arrangements of one training set against one test set: the same rows
 * (in any order) and the same test rows. Analyses without set hashes (older versions) are compared by
 * training row count and test file contents.
 */
function checkSameSets(arrangements: ReportArrangement[]): void {
  const first = arrangements[0]!;
  const fi = first.analysis.inputs;
  const testFiles = (a: ReportArrangement) => a.analysis.inputs.test.files.map((f) => f.sha256).join(",");
  for (const a of arrangements.slice(1)) {
    const ai = a.analysis.inputs;
    const sameTrain =
      fi.train.setHash !== undefined && ai.train.setHash !== undefined
        ? fi.train.setHash === ai.train.setHash
        : fi.train.rows === ai.train.rows;
    const sameTest =
      fi.test.setHash !== undefined && ai.test.setHash !== undefined
        ? fi.test.setHash === ai.test.setHash
        : testFiles(a) === testFiles(first);
    if (!sameTrain || !sameTest)
      throw inputError(
        `this analysis measures ${!sameTrain ? `another training set (${ai.train.rows} rows from ${ai.train.path}) than ${first.path} (${fi.train.rows} rows from ${fi.train.path})` : `another test set (${ai.test.path}) than ${first.path} (${fi.test.path})`}, so its curves would not compare arrangements of one set`,
        a.path,
        undefined,
        "give analyses of arrangements of the same training rows against the same test set, or pass --allow-mixed to overlay them anyway",
      );
  }
}

function checkRunAxis(run: ReportRun, first: ReportArrangement): void {
  const bs = first.analysis.checkpoints.batchSize;
  if (run.curves.batchSize !== bs)
    throw inputError(
      `the run trained with ${run.curves.batchSize} examples per step but ${first.path} counts ${bs}, ` +
        "so loss and similarity would be drawn on different step axes",
      run.path,
      undefined,
      `rerun analyze with --batch-size ${run.curves.batchSize} (the run's examples per optimizer step)`,
    );
}

/** Read and check every input of a report. */
export async function loadReportData(o: {
  analyses?: string[];
  labels?: string[];
  diversity?: string[];
  diversityLabels?: string[];
  trainRuns?: string[];
  manifests?: string[];
  title?: string;
  /** Overlay analyses of different training or test sets (refused by default). */
  allowMixed?: boolean;
}): Promise<ReportData> {
  const analyses = o.analyses ?? [];
  const diversityFiles = o.diversity ?? [];
  if (analyses.length === 0 && diversityFiles.length === 0)
    throw usageError(
      "no analysis and no diversity report given",
      "--analysis",
      "pass --analysis FILE (from `instruct-arrange analyze`) and/or --diversity FILE (from `instruct-arrange diversity`)",
    );
  if (analyses.length === 0 && (o.trainRuns ?? []).length > 0)
    throw usageError(
      "--train-run needs an analysis: its loss is drawn on the analyses' step axis",
      "--train-run",
      "pass --analysis FILE as well, or leave out --train-run",
    );
  if (analyses.length === 0 && (o.labels ?? []).length > 0)
    throw usageError(
      "--label names analyses, and none is given",
      "--label",
      "use --diversity-label to name --diversity files",
    );
  const labels = makeLabels(analyses, o.labels, "--label");
  const arrangements: ReportArrangement[] = [];
  for (const [i, path] of analyses.entries())
    arrangements.push({ label: labels[i]!, path, analysis: await readAnalysis(path) });
  if (arrangements.length > 0) checkSpacing(arrangements);
  if (arrangements.length > 1 && o.allowMixed !== true) checkSameSets(arrangements);

  if (diversityFiles.length === 0 && (o.diversityLabels ?? []).length > 0)
    throw usageError(
      "--diversity-label names diversity reports, and none is given",
      "--diversity-label",
      "pass --diversity FILE for each label, or leave out --diversity-label",
    );
  const diversityLabels = makeLabels(diversityFiles, o.diversityLabels, "--diversity-label");
  const diversity: ReportDiversity[] = [];
  for (const [i, path] of diversityFiles.entries())
    diversity.push({ label: diversityLabels[i]!, path, report: await readDiversity(path) });

  const runs: ReportRun[] = [];
  const used = new Map<string, number>();
  for (const p of o.trainRuns ?? []) {
    const r = await readTrainCurves(p);
    const base =
      typeof r.curves.label === "string" && r.curves.label !== ""
        ? r.curves.label
        : basename(dirname(resolve(r.path)));
    const k = (used.get(base) ?? 0) + 1;
    used.set(base, k);
    const run = { label: k === 1 ? base : `${base} #${k}`, path: r.path, curves: r.curves };
    checkRunAxis(run, arrangements[0]!);
    runs.push(run);
  }

  const manifests: ReportManifest[] = [];
  const shown = new Set<string>();
  for (const a of arrangements) {
    const m = await findArrangeManifest(a.path, a.analysis);
    if (m === undefined || shown.has(resolve(m))) continue;
    shown.add(resolve(m));
    manifests.push({
      title: `arrange run of ${a.label}`,
      path: m,
      json: await readJson(
        m,
        "run manifest",
        "pass --manifest FILE, or move the manifest beside the arranged file",
      ),
    });
  }
  for (const m of o.manifests ?? []) {
    if (shown.has(resolve(m))) continue;
    shown.add(resolve(m));
    const json = await readJson(m, "run manifest", "check the --manifest path");
    if (!isObject(json))
      throw inputError("a manifest must be a JSON object", m, undefined, "pass the manifest.json of a run");
    manifests.push({ title: basename(m), path: m, json });
  }
  return { title: o.title ?? DEFAULT_TITLE, arrangements, runs, manifests, diversity };
}
