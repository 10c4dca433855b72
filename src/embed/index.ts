export { DEFAULT_BATCH_SIZE, type EmbedAllOptions, type EmbedAllResult, embedAll } from "./embed-all.js";
export { createEmbedder, DEFAULT_EMBEDDER, describeEmbedders, EMBEDDERS } from "./registry.js";
export type { Embedder, EmbedderOptions, EmbedResult } from "./types.js";
