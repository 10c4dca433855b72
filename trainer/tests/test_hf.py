"""The Hugging Face model path's own code, with stand-in transformers modules (transformers is not
installed where these tests run): the dtype passed to from_pretrained, the running-text tokenization of
prompt and answer, and the process-group timeout."""

import os
import re
import sys
import tempfile
import types
import unittest
from datetime import timedelta
from unittest import mock

import torch

from instruct_trainer import backends, train
from instruct_trainer.data import TemplateEncoder


class WordTokenizer:
    """A GPT-2-like pre-tokenizer: words carry their leading space (" Paris"), a trailing space is its own token."""

    bos_id = None
    eos_id = 0

    def __init__(self):
        self.vocab = {"<eos>": 0}

    def piece(self, ids):
        inv = {v: k for k, v in self.vocab.items()}
        return [inv[i] for i in ids]

    def encode(self, text):
        out = []
        for m in re.finditer(r" ?\w+| ?[^\w\s]+|\s+(?!\S)|\s+", text):
            out.append(self.vocab.setdefault(m.group(0), len(self.vocab)))
        return out


class RunningTextTokenizationTest(unittest.TestCase):
    def test_answer_starts_with_the_running_text_token(self):
        tok = WordTokenizer()
        e = TemplateEncoder(tok, 512).encode({"instruction": "Capital of France?", "answer": "Paris"})
        pieces = tok.piece(e.ids)
        # Encoding prompt and answer apart would end the prompt with a lone " " and start the answer with "Paris".
        self.assertEqual(pieces[e.answer_start :], [" Paris", "<eos>"])
        self.assertEqual(pieces[e.answer_start - 1], ":")
        self.assertEqual(e.answer_tokens, 2)
        self.assertEqual(tok.piece(e.prompt_ids)[-1], ":")


class FakeModel(torch.nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(2, dtype=dtype))
        self.config = types.SimpleNamespace(max_position_embeddings=64)


def fake_transformers(version, calls):
    m = types.ModuleType("transformers")
    m.__version__ = version

    class AutoTokenizer:
        @staticmethod
        def from_pretrained(path, **kw):
            return types.SimpleNamespace(bos_token_id=1, eos_token_id=2, pad_token_id=None)

    class AutoModelForCausalLM:
        @staticmethod
        def from_pretrained(path, **kw):
            calls.append(kw)
            d = kw.get("dtype", kw.get("torch_dtype"))
            # transformers 5.x without a dtype: the saved precision (bf16 here).
            return FakeModel(torch.bfloat16 if d in (None, "auto") else d)

    m.AutoTokenizer = AutoTokenizer
    m.AutoModelForCausalLM = AutoModelForCausalLM
    return m


class DtypeTest(unittest.TestCase):
    def load(self, version, *dtype):
        calls = []
        with tempfile.TemporaryDirectory() as d, mock.patch.dict(sys.modules, {"transformers": fake_transformers(version, calls)}):
            lm = backends.load_model(d, None, 0, *dtype)
        return lm, calls

    def test_float32_by_default_with_the_keyword_of_the_version(self):
        lm, calls = self.load("5.0.0")
        self.assertEqual(calls[-1]["dtype"], torch.float32)
        self.assertEqual(next(lm.model.parameters()).dtype, torch.float32)
        _, calls = self.load("4.46.3")
        self.assertEqual(calls[-1]["torch_dtype"], torch.float32)

    def test_dtype_choice_and_auto(self):
        lm, calls = self.load("5.1.0", "bfloat16")
        self.assertEqual(calls[-1]["dtype"], torch.bfloat16)
        _, calls = self.load("5.1.0", "auto")
        self.assertEqual(calls[-1]["dtype"], "auto")
        with self.assertRaises(Exception):
            self.load("5.1.0", "float64")

    def test_builtin_refuses_another_dtype(self):
        with self.assertRaises(Exception):
            backends.load_model("builtin:tiny", None, 0, "bfloat16")


class ProcessGroupTimeoutTest(unittest.TestCase):
    def test_init_passes_the_configured_timeout(self):
        seen = {}

        def fake_init(backend, **kw):
            seen.update(kw, backend=backend)

        with mock.patch("torch.distributed.init_process_group", fake_init):
            train.init_distributed(torch.device("cpu"), 120)
        self.assertEqual(seen["backend"], "gloo")
        self.assertEqual(seen["timeout"], timedelta(minutes=120))


if __name__ == "__main__":
    unittest.main()
