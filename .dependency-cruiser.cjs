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
 * There are no exceptions: the last two folder cycles (experiment <-> report, evaluate <-> train) and the
 * experiment runner's imports of pipeline/ were removed when the runner moved to pipeline/experiment.ts.
 */

const DOMAIN =
  "^src/(data|embed|analyze|export|report|predict|synth|experiment|evaluate|train|testing|linalg|similarity|diversity|arrange)/";

module.exports = {
  forbidden: [
    {
      name: "no-file-cycle",
      comment: "Two files must not import each other, directly or through others.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-folder-cycle",
      comment: "Two folders of src/ must not import each other, directly or through others.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-not-up",
      comment: "A domain module must not import pipeline/ or cli/: move the shared code or type down.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "^src/(pipeline|cli)/" },
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
