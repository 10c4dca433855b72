/**
 * Every environment variable the tool reads, in one table, read in one place (`readSettings`). Code below
 * the CLI takes the environment as an argument (tests pass their own) and reads it through this module, so
 * a new variable is one row here and shows up in `docs/` and in `instruct-arrange --help`'s environment list.
 *
 * An empty value counts as unset, as it did in each reader before this table existed.
 * Not in the table: the API key variable of `--embedder http` and `evaluate --backend openai`, whose name
 * the user chooses with `--api-key-env` (default INSTRUCT_ARRANGE_API_KEY, listed here); the trainer
 * subprocess inherits the whole environment (and PYTHONPATH gains the trainer's directory).
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/** The settings the environment gives, under the names the code uses. */
export interface Settings {
  /** INSTRUCT_ARRANGE_CACHE_DIR: the embedding cache directory. */
  cacheDir?: string;
  /** INSTRUCT_ARRANGE_MODEL_DIR: the model directory of minilm / hf:<id> when --model-dir is not given. */
  modelDir?: string;
  /** INSTRUCT_ARRANGE_PYTHON: the Python with PyTorch for train, experiment and evaluate --backend checkpoint. */
  python?: string;
  /** XDG_CACHE_HOME: the base of the default embedding cache and of the Hugging Face cache. */
  xdgCacheHome?: string;
  /** HF_HOME: the Hugging Face home (default $XDG_CACHE_HOME/huggingface). */
  hfHome?: string;
  /** HF_HUB_CACHE: where `huggingface-cli download` puts models (default $HF_HOME/hub). */
  hfHubCache?: string;
  /** HF_ENDPOINT: the Hugging Face server models are downloaded from (default https://huggingface.co). */
  hfEndpoint?: string;
  /** HF_HUB_OFFLINE: set (and not 0): never download a model. */
  hfHubOffline: boolean;
  /** PYTHONPATH: kept, after the trainer's own directory, for the trainer subprocess. */
  pythonPath?: string;
  /** DEBUG: set: print the stack trace of an internal error, and the checkpoint backend's stderr. */
  debug: boolean;
}

/** One row per variable: its name, the settings field it fills, and what it does (for docs and --help). */
export const ENVIRONMENT_VARIABLES = [
  {
    name: "INSTRUCT_ARRANGE_CACHE_DIR",
    key: "cacheDir",
    what: "embedding cache directory (--cache-dir wins)",
  },
  {
    name: "INSTRUCT_ARRANGE_MODEL_DIR",
    key: "modelDir",
    what: "minilm / hf:<id> model directory (--model-dir wins)",
  },
  {
    name: "INSTRUCT_ARRANGE_PYTHON",
    key: "python",
    what: "Python with PyTorch for train, experiment, evaluate --backend checkpoint (--python wins)",
  },
  {
    name: "INSTRUCT_ARRANGE_API_KEY",
    key: undefined,
    what: "API key of --embedder http and evaluate --backend openai (another variable: --api-key-env NAME)",
  },
  {
    name: "XDG_CACHE_HOME",
    key: "xdgCacheHome",
    what: "base of the default caches (~/.cache when unset)",
  },
  { name: "HF_HOME", key: "hfHome", what: "Hugging Face home (default $XDG_CACHE_HOME/huggingface)" },
  { name: "HF_HUB_CACHE", key: "hfHubCache", what: "Hugging Face hub cache (default $HF_HOME/hub)" },
  {
    name: "HF_ENDPOINT",
    key: "hfEndpoint",
    what: "server to download models from (default https://huggingface.co)",
  },
  { name: "HF_HUB_OFFLINE", key: "hfHubOffline", what: "set (not 0): never download a model" },
  { name: "PYTHONPATH", key: "pythonPath", what: "kept for the trainer, after the trainer's own directory" },
  {
    name: "DEBUG",
    key: "debug",
    what: "set: stack traces of internal errors, the checkpoint backend's stderr",
  },
] as const satisfies readonly { name: string; key: keyof Settings | undefined; what: string }[];

/** The variable's value, or undefined when it is unset or empty. */
function text(env: Environment, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

/** The settings of `env` (default: this process's environment). */
export function readSettings(env: Environment = process.env): Settings {
  const offline = text(env, "HF_HUB_OFFLINE");
  return {
    cacheDir: text(env, "INSTRUCT_ARRANGE_CACHE_DIR"),
    modelDir: text(env, "INSTRUCT_ARRANGE_MODEL_DIR"),
    python: text(env, "INSTRUCT_ARRANGE_PYTHON"),
    xdgCacheHome: text(env, "XDG_CACHE_HOME"),
    hfHome: text(env, "HF_HOME"),
    hfHubCache: text(env, "HF_HUB_CACHE"),
    hfEndpoint: text(env, "HF_ENDPOINT"),
    hfHubOffline: offline !== undefined && offline !== "0",
    pythonPath: text(env, "PYTHONPATH"),
    debug: text(env, "DEBUG") !== undefined,
  };
}
