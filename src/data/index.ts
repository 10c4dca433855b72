export { atomicWrite, BufferedOutput, writeJsonLines } from "./atomic.js";
export { END_MARKERS } from "./layout.js";
export { type NpyMatrix, readNpy, writeNpy } from "./npy.js";
export { DATA_EXTENSIONS, formatOfPath, readDataset } from "./read.js";
export { parseTemplate, renderTemplate, type Template } from "./template.js";
export type * from "./types.js";
export { writeArranged } from "./write.js";
