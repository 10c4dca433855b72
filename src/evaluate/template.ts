/**
 * The paper's template, the same text as the trainer's (trainer/instruct_trainer/data.py):
 *
 *     [BOS] "User: {instruction}\nAssistant: " "{answer}" [EOS]
 *
 * Only the answer and EOS tokens are scored. When the sequence is longer than the limit the prompt is
 * cut from the left (BOS kept), never the answer; an example whose BOS + answer + EOS cannot fit, with at
 * least one position before the answer, is unfit.
 */
export const PROMPT_TEMPLATE = "User: {instruction}\nAssistant: ";

/** The prompt text of an instruction (everything before the answer). */
export function promptText(instruction: string): string {
  return `User: ${instruction}\nAssistant: `;
}

export interface TemplateTokenizer {
  encode(text: string): number[];
  bosId: number | null;
  eosId: number;
}

export interface EncodedExample {
  /** Token ids (prompt, possibly cut, then answer + EOS); null when unfit. */
  ids: number[] | null;
  /** Index in ids of the first answer token. */
  answerStart: number;
  /** BOS + the whole prompt (for generation, cut by the caller). */
  promptIds: number[];
  /** Answer + EOS tokens. */
  answerTokens: number;
  /** Prompt tokens cut from the left. */
  truncated: number;
}

/**
 * Prompt and answer ids of an example tokenized as one running text (TemplateEncoder.split of the trainer):
 * the prompt's tokens are the common prefix of encode(prompt) and encode(prompt + answer), the answer's
 * the rest, so the answer starts with the token the model sees in running text.
 */
export function splitExample(
  tok: Pick<TemplateTokenizer, "encode">,
  instruction: string,
  answer: string,
): { prompt: number[]; answer: number[] } {
  const text = promptText(instruction);
  const prompt = tok.encode(text);
  if (answer === "") return { prompt, answer: [] };
  const full = tok.encode(text + answer);
  let b = 0;
  const n = Math.min(prompt.length, full.length);
  while (b < n && prompt[b] === full[b]) b++;
  return { prompt: full.slice(0, b), answer: full.slice(b) };
}

/** TemplateEncoder.encode of the trainer, token for token. */
export function encodeExample(
  tok: TemplateTokenizer,
  maxLength: number,
  instruction: string,
  answer: string,
): EncodedExample {
  const prefix = tok.bosId === null ? [] : [tok.bosId];
  const split = splitExample(tok, instruction, answer);
  const prompt = split.prompt;
  const answerIds = [...split.answer, tok.eosId];
  const room = maxLength - prefix.length - answerIds.length;
  if (room < 0 || (room === 0 && prefix.length === 0))
    return {
      ids: null,
      answerStart: 0,
      promptIds: [...prefix, ...prompt],
      answerTokens: answerIds.length,
      truncated: 0,
    };
  const cut = Math.max(0, prompt.length - room);
  const kept = [...prefix, ...prompt.slice(cut)];
  return {
    ids: [...kept, ...answerIds],
    answerStart: kept.length,
    promptIds: [...prefix, ...prompt],
    answerTokens: answerIds.length,
    truncated: cut,
  };
}

/**
 * The prompt for a greedy generation of up to `maxNewTokens` tokens in a context of `context`: cut from the
 * left to context - maxNewTokens tokens (at least 1), BOS kept, as the trainer's generate() does.
 */
export function generationPrompt(
  promptIds: readonly number[],
  bosId: number | null,
  context: number,
  maxNewTokens: number,
): number[] {
  const room = Math.max(1, context - maxNewTokens);
  if (promptIds.length <= room) return [...promptIds];
  const kept = promptIds.slice(promptIds.length - room);
  if (bosId !== null) kept[0] = bosId;
  return kept;
}
