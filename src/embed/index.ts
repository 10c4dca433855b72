export { DEFAULT_BATCH_SIZE, type EmbedAllOptions, type EmbedAllResult, embedAll } from "./embed-all.js";
export {
  checkEmbedderName,
  createEmbedder,
  DEFAULT_EMBEDDER,
  describeEmbedders,
  EMBEDDERS,
  MINILM_MODEL,
} from "./registry.js";
export type { Embedder, EmbedderChoice, EmbedderOptions, EmbedResult } from "./types.js";
