import unittest

import torch

from instruct_trainer.data import PROMPT_TEMPLATE, TemplateEncoder
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


if __name__ == "__main__":
    unittest.main()
