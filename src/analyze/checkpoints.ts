/** Training-prefix lengths at which checkpoints are taken: every `batchSize × saveSteps` examples, plus a final partial one. */
export function checkpointExamples(n: number, batchSize: number, saveSteps: number): number[] {
  const every = batchSize * saveSteps;
  const out: number[] = [];
  for (let k = every; k <= n; k += every) out.push(k);
  if (n > 0 && n % every !== 0) out.push(n);
  return out;
}

/** Optimizer step reached after `examples` examples. */
export function checkpointSteps(examples: readonly number[], batchSize: number): number[] {
  return examples.map((e) => Math.ceil(e / batchSize));
}
