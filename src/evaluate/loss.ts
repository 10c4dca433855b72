/**
 * Test-loss aggregation, the one place where answer-token cross-entropy is averaged (training curves
 * and `evaluate` both use it). The backend reports, per example, the summed cross-entropy of its
 * answer tokens and how many there were; an example whose answer could not fit is reported with
 * `tokens: 0` and is counted as unfit, never as a loss of NaN or 0.
 */

export interface ExampleLoss {
  task: string;
  /** Summed cross-entropy (nats) over the example's answer tokens; null when unfit. */
  lossSum: number | null;
  /** Answer tokens scored (answer + end-of-sequence); 0 when unfit. */
  tokens: number;
}

export interface LossSummary {
  /** Mean over examples of each example's mean answer-token loss (the paper's figure); null when none scored. */
  loss: number | null;
  /** Summed loss over all answer tokens / number of answer tokens. */
  tokenLoss: number | null;
  /** Per-example mean loss averaged within each task (tasks in first-seen order); tasks with no scored example are absent. */
  perTask: Record<string, number>;
  /** Examples scored. */
  examples: number;
  /** Examples whose answer could not fit (excluded). */
  unfit: number;
}

export function isUnfit(e: ExampleLoss): boolean {
  return e.lossSum === null || e.tokens <= 0;
}

export function aggregateLoss(examples: readonly ExampleLoss[]): LossSummary {
  let meanSum = 0;
  let lossSum = 0;
  let tokens = 0;
  let scored = 0;
  let unfit = 0;
  const taskSums = new Map<string, { sum: number; n: number }>();
  for (const e of examples) {
    if (isUnfit(e)) {
      unfit++;
      continue;
    }
    const total = e.lossSum as number;
    if (!Number.isFinite(total)) throw new Error(`non-finite loss for an example of task "${e.task}"`);
    const mean = total / e.tokens;
    meanSum += mean;
    lossSum += total;
    tokens += e.tokens;
    scored++;
    const t = taskSums.get(e.task);
    if (t === undefined) taskSums.set(e.task, { sum: mean, n: 1 });
    else {
      t.sum += mean;
      t.n++;
    }
  }
  const perTask: Record<string, number> = {};
  for (const [task, { sum, n }] of taskSums) perTask[task] = sum / n;
  return {
    loss: scored === 0 ? null : meanSum / scored,
    tokenLoss: tokens === 0 ? null : lossSum / tokens,
    perTask,
    examples: scored,
    unfit,
  };
}
