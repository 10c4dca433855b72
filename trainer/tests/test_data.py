import unittest

import torch

import json
import os
import tempfile

from instruct_trainer.data import PROMPT_TEMPLATE, TemplateEncoder, pack_texts, read_texts
from instruct_trainer.protocol import ConfigError
from instruct_trainer.model import ByteTokenizer
from instruct_trainer.train import make_batch


class TemplateTest(unittest.TestCase):
    def setUp(self):
        self.tok = ByteTokenizer()

    def test_template_and_answer_span(self):
        e = TemplateEncoder(self.tok, 512).encode({"instruction": "Hi", "answer": "Yo"})
        prompt = PROMPT_TEMPLATE.format(instruction="Hi")
        self.assertEqual(prompt, "User: Hi\nAssistant: ")
        self.assertEqual(e.ids, [256] + list(prompt.encode()) + list(b"Yo") + [257])
        self.assertEqual(e.answer_start, 1 + len(prompt))
        self.assertEqual(e.answer_tokens, 3)  # "Yo" + EOS
        self.assertEqual(e.truncated, 0)

    def test_prompt_is_cut_from_the_left_never_the_answer(self):
        row = {"instruction": "abcdefghij", "answer": "XYZ"}
        full = TemplateEncoder(self.tok, 512).encode(row)
        e = TemplateEncoder(self.tok, 12).encode(row)
        self.assertEqual(len(e.ids), 12)
        self.assertEqual(e.ids[0], 256)  # BOS kept
        self.assertEqual(e.ids[-4:], list(b"XYZ") + [257])  # whole answer kept
        self.assertEqual(e.ids[1:-4], full.ids[1 : full.answer_start][-7:])  # the prompt's last 7 tokens
        self.assertEqual(e.truncated, len(full.ids) - 12)

    def test_an_answer_that_cannot_fit_is_unfit(self):
        enc = TemplateEncoder(self.tok, 5)
        self.assertTrue(enc.encode({"instruction": "q", "answer": "abcd"}).unfit)  # BOS + 4 + EOS = 6 > 5
        self.assertFalse(enc.encode({"instruction": "q", "answer": "abc"}).unfit)  # BOS + 3 + EOS = 5

    def test_mask_covers_exactly_the_answer_predictions(self):
        enc = TemplateEncoder(self.tok, 512)
        a = enc.encode({"instruction": "q", "answer": "ab"})
        b = enc.encode({"instruction": "longer question", "answer": "c"})
        ids, mask = make_batch([a, b], self.tok.pad_id, torch.device("cpu"))
        self.assertEqual(ids.shape[1], len(b.ids))
        self.assertEqual(ids[0, len(a.ids):].tolist(), [self.tok.pad_id] * (len(b.ids) - len(a.ids)))
        targets = ids[:, 1:]
        self.assertEqual(targets[0][mask[0]].tolist(), list(b"ab") + [257])
        self.assertEqual(targets[1][mask[1]].tolist(), list(b"c") + [257])
        self.assertEqual(int(mask.sum()), 5)


class PackTest(unittest.TestCase):
    """The lm objective: texts as one [BOS] text [EOS] stream, cut into max_length sequences, all targets."""

    def setUp(self):
        self.tok = ByteTokenizer()

    def test_stream_is_cut_in_order_and_nothing_is_lost(self):
        texts = ["abc", "", "defghi"]
        seqs = pack_texts(texts, self.tok, 4)
        stream = [256, *b"abc", 257, 256, 257, 256, *b"defghi", 257]
        self.assertEqual([t for s in seqs for t in s.ids], stream)
        self.assertEqual([len(s.ids) for s in seqs], [4, 4, 4, 3])
        self.assertEqual([s.answer_tokens for s in seqs], [3, 3, 3, 2])

    def test_every_token_but_the_first_is_a_target(self):
        seqs = pack_texts(["hello world"], self.tok, 5)
        ids, mask = make_batch(seqs, self.tok.pad_id, torch.device("cpu"))
        targets = ids[:, 1:]
        for i, s in enumerate(seqs):
            self.assertEqual(targets[i][mask[i]].tolist(), s.ids[1:])
        self.assertEqual(int(mask.sum()), sum(len(s.ids) - 1 for s in seqs))

    def test_a_last_piece_of_one_token_is_dropped(self):
        seqs = pack_texts(["abc"], self.tok, 4)  # BOS a b c | EOS
        self.assertEqual([s.ids for s in seqs], [[256, *b"abc"]])

    def test_read_texts_names_the_line_of_a_bad_row(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps({"text": "a"}) + "\n\n" + json.dumps({"prompt": "x"}) + "\n")
            with self.assertRaisesRegex(ConfigError, r"t.jsonl:3: expected \{\"text\": str\}"):
                read_texts(path)
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps({"text": "a"}) + "\n" + json.dumps({"text": "b"}) + "\n")
            self.assertEqual(read_texts(path), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
