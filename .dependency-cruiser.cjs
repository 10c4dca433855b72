/**
 * The layering of src/ as a checked rule (run by `npm run lint`; see docs/architecture.md):
 *
 *   cli, index.ts  ->  pipeline  ->  domain modules  ->  core
 *
 * - cli/ and index.ts are the entry points (the command line and the library); nothing imports them.
 * - pipeline/ holds one use case per command and is the only layer that composes the domains end to end.
 * - domain modules (data, embed, analyze, export, report, predict, synth, experiment, evaluate, train and the
 *   algorithm core linalg, similarity, diversity, arrange) never import pipeline/ or cli/.
 * - core/ imports nothing of the project. Inside the algorithm core: linalg -> core;
 *   similarity, diversity -> linalg, core; arrange -> similarity, diversity, linalg, core.
 * - no import cycles, neither between files nor between folders.
 *
 * Exceptions are listed by name below so that they can be removed one by one once fixed.
 */

/** Folder-level two-way cycles that are known and owned by another piece of work (issue 16, part i16c). */
const KNOWN_FOLDER_CYCLES = [
  // experiment/runner.ts and experiment/onlyif.ts draw with report/; report/experiment.ts reads the runner's types.
  ["src/experiment", "src/report"],
  // train/run.ts scores with evaluate/; evaluate/backends/checkpoint.ts talks the trainer protocol of train/.
  ["src/evaluate", "src/train"],
];
/** Files in a known file-level cycle (the experiment <-> report one above). */
const KNOWN_FILE_CYCLES = ["^src/experiment/runner\\.ts$", "^src/report/experiment\\.ts$"];
/** Domain files that still run a pipeline use case (the experiment runner runs arrange and analyze; i16c). */
const KNOWN_UP_IMPORTS = ["^src/experiment/runner\\.ts$"];

const DOMAIN =
  "^src/(data|embed|analyze|export|report|predict|synth|experiment|evaluate|train|testing|linalg|similarity|diversity|arrange)/";
const anyOf = (patterns) => `(${patterns.join("|")})`;
const inKnownFolderCycle = KNOWN_FOLDER_CYCLES.flat().map((f) => `^${f}(/|$)`);

module.exports = {
  forbidden: [
    {
      name: "no-file-cycle",
      comment: "Two files must not import each other, directly or through others.",
      severity: "error",
      from: { pathNot: anyOf(KNOWN_FILE_CYCLES) },
      to: { circular: true },
    },
    {
      name: "no-file-cycle-beyond-known",
      comment: "The known file cycle may not grow to other files.",
      severity: "error",
      from: { path: anyOf(KNOWN_FILE_CYCLES) },
      to: { circular: true, viaSomeNot: anyOf(KNOWN_FILE_CYCLES) },
    },
    {
      name: "no-folder-cycle",
      comment: "Two folders of src/ must not import each other, directly or through others.",
      severity: "error",
      scope: "folder",
      from: { pathNot: anyOf(inKnownFolderCycle) },
      to: { circular: true },
    },
    ...KNOWN_FOLDER_CYCLES.map((pair) => ({
      // dependency-cruiser's folder rules take no `via`, so: from a folder of a known pair, every import that
      // is part of a cycle must stay inside the pair (a cycle that reaches any third folder fails).
      name: `no-folder-cycle-beyond-${pair.map((f) => f.slice(4)).join("-")}`,
      comment: `Known cycle ${pair.join(" <-> ")} (to be broken): it may not pass through any other folder.`,
      severity: "error",
      scope: "folder",
      from: { path: anyOf(pair.map((f) => `^${f}(/|$)`)) },
      to: { circular: true, pathNot: anyOf(pair.map((f) => `^${f}(/|$)`)) },
    })),
    {
      name: "domain-not-up",
      comment: "A domain module must not import pipeline/ or cli/: move the shared code or type down.",
      severity: "error",
      from: { path: DOMAIN, pathNot: anyOf(KNOWN_UP_IMPORTS) },
      to: { path: "^src/(pipeline|cli)/" },
    },
    {
      name: "known-up-imports-only-pipeline",
      comment: "The listed exceptions may reach pipeline/ but never cli/.",
      severity: "error",
      from: { path: anyOf(KNOWN_UP_IMPORTS) },
      to: { path: "^src/cli/" },
    },
    {
      name: "pipeline-not-cli",
      comment: "The use cases must not import the command line.",
      severity: "error",
      from: { path: "^src/pipeline/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "entry-points-not-imported",
      comment: "cli/ and index.ts are entry points: only cli/ itself may import cli/, nothing imports index.ts.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/(cli/|index\\.ts$)" },
    },
    {
      name: "core-is-the-bottom",
      comment: "core/ imports nothing else of the project.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    {
      name: "linalg-only-core",
      severity: "error",
      from: { path: "^src/linalg/" },
      to: { path: "^src/", pathNot: "^src/(core|linalg)/" },
    },
    {
      name: "similarity-diversity-only-linalg-core",
      severity: "error",
      from: { path: "^src/(similarity|diversity)/" },
      to: { path: "^src/", pathNot: "^src/(core|linalg|similarity|diversity)/" },
    },
    {
      name: "similarity-diversity-independent",
      severity: "error",
      from: { path: "^src/similarity/" },
      to: { path: "^src/diversity/" },
    },
    {
      name: "diversity-similarity-independent",
      severity: "error",
      from: { path: "^src/diversity/" },
      to: { path: "^src/similarity/" },
    },
    {
      name: "arrange-only-algorithm-core",
      severity: "error",
      from: { path: "^src/arrange/" },
      to: { path: "^src/", pathNot: "^src/(core|linalg|similarity|diversity|arrange)/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    enhancedResolveOptions: {
      extensions: [".ts", ".js", ".json"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "types", "default"],
    },
  },
};
