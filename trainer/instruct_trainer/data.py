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

With the `lm` objective (pretraining) each line is {"text": str} instead: the texts, in file order, become
one stream [BOS] text [EOS] [BOS] text [EOS] ..., cut into sequences of max_length tokens (the last one
shorter), and every token of a sequence but its first is trained on.
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


def _read_rows(path, fits, expected):
    """The JSON objects of a prepared file's non-blank lines; a line that is not JSON or not `fits` is a
    ConfigError naming the file, the line and `expected`."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip() == "":
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(row, dict) or not fits(row):
                raise ConfigError(f"{path}:{n}: expected {expected}")
            rows.append(row)
    return rows


def read_examples(path):
    return _read_rows(
        path,
        lambda r: isinstance(r.get("instruction"), str) and isinstance(r.get("answer"), str),
        '{"instruction": str, "answer": str, "task": str}',
    )


def read_texts(path):
    rows = _read_rows(path, lambda r: isinstance(r.get("text"), str), '{"text": str} (objective lm)')
    return [r["text"] for r in rows]


def pack_texts(texts, tokenizer, max_length):
    """The `lm` objective's sequences: every text as [BOS] text [EOS] (no BOS when the tokenizer has none),
    all of them one stream in order, cut into max_length tokens; a last piece of one token is dropped (it
    predicts nothing). Each is an Encoded whose every token but the first is a target."""
    stream = []
    for text in texts:
        if tokenizer.bos_id is not None:
            stream.append(tokenizer.bos_id)
        stream.extend(tokenizer.encode(text))
        stream.append(tokenizer.eos_id)
    sequences = []
    for start in range(0, len(stream), max_length):
        ids = stream[start : start + max_length]
        if len(ids) >= 2:
            sequences.append(Encoded(ids, 1, ids[:1], len(ids) - 1, 0))
    return sequences


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
