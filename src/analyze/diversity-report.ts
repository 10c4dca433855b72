import type { DiversityResult } from "../diversity/compute.js";
import type { EmbedderInfo, NpySummary } from "../embed/service-types.js";

/** The JSON `instruct-arrange diversity` writes (one per data set); `report` reads it back. */
export interface DiversityReport extends DiversityResult {
  tool: "instruct-arrange";
  version: string;
  command: "diversity";
  input: {
    path: string;
    files: { path: string; format: string; layout: string; rows: number; skipped: number; sha256: string }[];
    rows: number;
    tasks: number;
    taskSource: string;
    skipped: number;
  };
  embeddings?: NpySummary;
  embedder: EmbedderInfo;
  engine: string;
  options: { clusters: number | "default"; seed: number; maxIterations: number; tolerance: number };
  warnings?: string[];
}
