export { type ExactMatchOptions, exactMatch, normalizeAnswer } from "./exact-match.js";
export { type GenerationScores, scoreGenerations } from "./generation.js";
export { aggregateLoss, type ExampleLoss, isUnfit, type LossSummary } from "./loss.js";
export { porterStem } from "./porter.js";
export { lcsLength, type RougeOptions, type RougeScore, rouge1, rougeL, rougeTokens } from "./rouge.js";
