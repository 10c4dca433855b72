import json
import math
import os
import tempfile
import unittest
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from instruct_trainer.backends import load_model
from instruct_trainer.data import TemplateEncoder
from instruct_trainer.protocol import ConfigError
from instruct_trainer.train import evaluate, generate, lr_at, make_batch, token_losses


class ScheduleTest(unittest.TestCase):
    def test_warmup_cosine_floor(self):
        cfg = SimpleNamespace(warmup=4, min_lr_ratio=0.1)
        self.assertAlmostEqual(lr_at(0, cfg, 14), 0.25)
        self.assertAlmostEqual(lr_at(3, cfg, 14), 1.0)
        self.assertAlmostEqual(lr_at(4, cfg, 14), 1.0)
        self.assertAlmostEqual(lr_at(9, cfg, 14), 0.1 + 0.9 * 0.5)  # halfway through the decay
        self.assertAlmostEqual(lr_at(14, cfg, 14), 0.1)
        self.assertAlmostEqual(lr_at(20, cfg, 14), 0.1)  # never below the floor
        cfg0 = SimpleNamespace(warmup=0, min_lr_ratio=0.0)
        self.assertAlmostEqual(lr_at(0, cfg0, 10), 1.0)
        self.assertAlmostEqual(lr_at(5, cfg0, 10), 0.5)


class ModelTest(unittest.TestCase):
    def setUp(self):
        self.lm = load_model("builtin:tiny", None, seed=0)
        self.enc = TemplateEncoder(self.lm.tokenizer, 128)
        self.rows = [{"instruction": f"Say {w}", "answer": w} for w in ("red", "green", "blue", "yellow")]

    def test_eval_sums_match_a_direct_cross_entropy(self):
        encoded = [self.enc.encode(r) for r in self.rows]
        sums, counts = evaluate(self.lm, encoded, 3, self.lm.tokenizer.pad_id, torch.device("cpu"))
        for e, s, c in zip(encoded, sums, counts):
            ids = torch.tensor([e.ids])
            with torch.no_grad():
                logits = self.lm.model(ids)[0][0]
            want = F.cross_entropy(logits[e.answer_start - 1 : -1], ids[0, e.answer_start :], reduction="sum")
            self.assertEqual(c, e.answer_tokens)
            self.assertAlmostEqual(s, float(want), places=4)

    def test_loss_decreases_on_a_repeated_batch(self):
        encoded = [self.enc.encode(r) for r in self.rows]
        ids, mask = make_batch(encoded, self.lm.tokenizer.pad_id, torch.device("cpu"))
        opt = torch.optim.AdamW(self.lm.model.parameters(), lr=3e-3)
        losses = []
        for _ in range(30):
            loss = token_losses(self.lm, ids, mask).sum() / mask.sum()
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(loss.item())
        self.assertTrue(all(math.isfinite(x) for x in losses))
        self.assertLess(losses[-1], 0.5 * losses[0])

    def test_cached_greedy_generation_equals_full_recomputation(self):
        e = self.enc.encode(self.rows[0])
        out = generate(self.lm, [e], 6, torch.device("cpu"))[0]
        ids = list(e.prompt_ids)
        want = []
        with torch.no_grad():
            for _ in range(6):
                nxt = int(self.lm.model(torch.tensor([ids]))[0][0, -1].argmax())
                if nxt == self.lm.tokenizer.eos_id:
                    break
                want.append(nxt)
                ids.append(nxt)
        self.assertEqual(out, self.lm.tokenizer.decode(want))

    def test_unknown_size_is_a_config_error(self):
        from instruct_trainer.protocol import ConfigError

        with self.assertRaises(ConfigError):
            load_model("builtin:huge", None, seed=0)



class InitTest(unittest.TestCase):
    """--init: a run starts from a built-in checkpoint's weights, of the shape --model names."""

    def save(self, lm, directory):
        torch.save(lm.model.state_dict(), os.path.join(directory, "model.pt"))
        with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
            json.dump({"model": "builtin", "config": lm.model.cfg.to_dict()}, f)

    def test_weights_come_from_the_checkpoint_not_the_seed(self):
        trained = load_model("builtin:tiny", None, seed=3)
        with torch.no_grad():
            for p in trained.model.parameters():
                p.add_(0.5)
        with tempfile.TemporaryDirectory() as d:
            self.save(trained, d)
            started = load_model("builtin:tiny", None, seed=0, init=d)
            fresh = load_model("builtin:tiny", None, seed=0)
        for (name, a), b, c in zip(started.model.state_dict().items(), trained.model.state_dict().values(), fresh.model.state_dict().values()):
            self.assertTrue(torch.equal(a, b), name)
            if a.dim() >= 2:
                self.assertFalse(torch.equal(a, c), name)
        self.assertIn("weights from", started.describe)

    def test_another_shape_or_a_model_directory_is_a_config_error(self):
        with tempfile.TemporaryDirectory() as d:
            self.save(load_model("builtin:tiny", None, seed=0), d)
            with self.assertRaisesRegex(ConfigError, "another shape: n_layer 2 \\(--model: 4\\)"):
                load_model("builtin:mini", None, seed=0, init=d)
            with open(os.path.join(d, "config.json"), "w", encoding="utf-8") as f:
                json.dump({"architectures": ["LlamaForCausalLM"]}, f)
            with self.assertRaisesRegex(ConfigError, "pass it as --model"):
                load_model("builtin:tiny", None, seed=0, init=d)
        with self.assertRaisesRegex(ConfigError, "is not a directory"):
            load_model("builtin:tiny", None, seed=0, init="/nonexistent/step-5")


if __name__ == "__main__":
    unittest.main()


class BlockedAttentionTest(unittest.TestCase):
    """Block.forward computes causal attention in blocks of ATTN_CHUNK queries; it must give what one
    full masked softmax gives, with and without a key/value cache, values and gradients."""

    @staticmethod
    def full_attention(block, x, past=None):
        b, t, c = x.shape
        h = block.n_head
        q, k, v = block.qkv(block.ln1(x)).split(c, dim=2)
        q = q.view(b, t, h, c // h).transpose(1, 2)
        k = k.view(b, t, h, c // h).transpose(1, 2)
        v = v.view(b, t, h, c // h).transpose(1, 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        start = k.shape[2] - t
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // h)
        hidden = torch.ones(t, start + t, dtype=torch.bool).triu(start + 1)
        att = F.softmax(att.masked_fill(hidden, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + block.proj(y)
        return x + block.fc_out(F.gelu(block.fc(block.ln2(x))))

    def test_blocks_equal_one_full_softmax(self):
        from instruct_trainer import model as M

        torch.manual_seed(1)
        block = M.Block(M.GPTConfig(n_head=4, n_embd=64))
        t = 2 * M.ATTN_CHUNK + 37  # two full blocks and a partial one
        for past_len in (0, 5):
            with self.subTest(past=past_len):
                x = torch.randn(3, t, 64, requires_grad=True)
                past = None
                if past_len:
                    past = (torch.randn(3, 4, past_len, 16), torch.randn(3, 4, past_len, 16))
                hidden = torch.ones(t, past_len + t, dtype=torch.bool).triu(past_len + 1)
                got, _ = block(x, hidden, past)
                want = self.full_attention(block, x, past)
                self.assertLess((got - want).abs().max().item(), 1e-5)
                g_got = torch.autograd.grad(got.square().sum(), [x, block.qkv.weight])
                g_want = torch.autograd.grad(want.square().sum(), [x, block.qkv.weight])
                for a, w in zip(g_got, g_want):
                    self.assertLess(((a - w).abs().max() / w.abs().max()).item(), 1e-5)
        # Without the mask a block would see later keys: the check above can fail.
        x = torch.randn(1, t, 64)
        self.assertGreater((block(x, None)[0] - self.full_attention(block, x)).abs().max().item(), 1e-3)
