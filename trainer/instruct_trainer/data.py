"""Prepared examples, the paper's template and masking.

Each line of a prepared file is {"instruction": str, "answer": str, "task": str}, written by the
TypeScript side in the exact training order. An example becomes

    [BOS] "User: {instruction}\\nAssistant: " "{answer}" [EOS]

where only the answer and EOS tokens are trained on and scored (the prompt is masked). The prompt and
the answer are tokenized together, as running text: the prompt's tokens are the common prefix of
encode(prompt) and encode(prompt + answer), the answer's the rest, so the answer's first token is the one
the model sees in running text (" Paris" after "Assistant:" with a BPE tokenizer, not a lone " " token
followed by "Paris"). With the byte tokenizer this is the same as encoding the two separately. When the
whole sequence is longer than max_length the prompt is cut from the left (BOS is kept); the answer
is never cut. An example whose BOS + answer + EOS cannot fit is "unfit": it is reported, scored as
nothing and trained on as nothing, never turned into NaN or 0.
"""

import json

from .protocol import ConfigError

PROMPT_TEMPLATE = "User: {instruction}\nAssistant: "


class Encoded:
    __slots__ = ("ids", "answer_start", "prompt_ids", "answer_tokens", "truncated")

    def __init__(self, ids, answer_start, prompt_ids, answer_tokens, truncated):
        self.ids = ids  # full token ids, or None when unfit
        self.answer_start = answer_start  # index in ids of the first answer token
        self.prompt_ids = prompt_ids  # BOS + prompt, left-truncated for generation by the caller
        self.answer_tokens = answer_tokens  # answer + EOS tokens
        self.truncated = truncated  # prompt tokens cut from the left

    @property
    def unfit(self):
        return self.ids is None


def read_examples(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip() == "":
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("instruction"), str) or not isinstance(row.get("answer"), str):
                raise ConfigError(f'{path}:{n}: expected {{"instruction": str, "answer": str, "task": str}}')
            rows.append(row)
    return rows


class TemplateEncoder:
    """Applies the template with a tokenizer that has encode(text) -> ids, bos_id (or None), eos_id."""

    def __init__(self, tokenizer, max_length):
        self.tok = tokenizer
        self.max_length = max_length

    def split(self, row):
        """Prompt ids and answer ids (without BOS/EOS) of a row, tokenized as one running text."""
        prompt_text = PROMPT_TEMPLATE.format(instruction=row["instruction"])
        prompt = self.tok.encode(prompt_text)
        if row["answer"] == "":
            return prompt, []
        full = self.tok.encode(prompt_text + row["answer"])
        b = 0
        n = min(len(prompt), len(full))
        while b < n and prompt[b] == full[b]:
            b += 1
        return full[:b], full[b:]

    def encode(self, row):
        prefix = [] if self.tok.bos_id is None else [self.tok.bos_id]
        prompt, answer_ids = self.split(row)
        answer = answer_ids + [self.tok.eos_id]
        room = self.max_length - len(prefix) - len(answer)
        if room < 0 or (room == 0 and not prefix):
            # Not even one position before the answer: its first token could not be predicted.
            return Encoded(None, 0, prefix + prompt, len(answer), 0)
        cut = max(0, len(prompt) - room)
        kept = prefix + prompt[cut:]
        return Encoded(kept + answer, len(kept), prefix + prompt, len(answer), cut)
