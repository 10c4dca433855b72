import json
import os
import tempfile
import unittest
from dataclasses import MISSING, fields

from instruct_trainer.backends import DTYPES
from instruct_trainer.config import EvalConfig, TrainConfig, check_train_config, read_config
from instruct_trainer.protocol import ConfigError

# Every key, as the launcher (src/train/run.ts trainerConfig) writes it.
TRAIN = {
    "protocol": 1,
    "train": "/run/train.jsonl",
    "eval": "/run/eval.jsonl",
    "out_dir": "/run",
    "model": "builtin:tiny",
    "max_length": 128,
    "batch_size": 4,
    "grad_accum": 2,
    "eval_batch_size": 8,
    "lr": 5e-4,
    "warmup": 3,
    "min_lr_ratio": 0.1,
    "weight_decay": 0.0,
    "clip": 1.0,
    "epochs": 2,
    "max_steps": None,
    "eval_every": 5,
    "generate_at": [5],
    "generate_max_examples": None,
    "max_new_tokens": 16,
    "save_at": [],
    "seed": 7,
    "threads": 1,
    "device": "cpu",
    "dtype": "float32",
    "dist_timeout_minutes": 30,
    "debug_order": False,
    "objective": "instruct",
    "init": None,
}

EVAL = {
    "protocol": 1,
    "checkpoint": "/run/checkpoints/step-5",
    "eval": "/run/eval.jsonl",
    "max_length": None,
    "eval_batch_size": 16,
    "score": True,
    "generate": False,
    "max_new_tokens": 64,
    "device": "auto",
    "threads": None,
    "seed": 0,
}


class ConfigTest(unittest.TestCase):
    def write(self, value):
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(value, f)
        self.addCleanup(os.remove, path)
        return path

    def read_train(self, value):
        return check_train_config(read_config(self.write(value), "trainer", TrainConfig), DTYPES)

    def test_reads_every_explicit_value(self):
        cfg = self.read_train(TRAIN)
        for key, value in TRAIN.items():
            if key != "protocol":
                self.assertEqual(getattr(cfg, key), value, key)
        self.assertIsNone(cfg.model_config)
        ev = read_config(self.write(EVAL), "evaluation", EvalConfig)
        self.assertEqual((ev.checkpoint, ev.eval_batch_size, ev.score), (EVAL["checkpoint"], 16, True))

    def test_no_setting_has_a_default_but_the_cli_free_model_config(self):
        with_default = [f.name for f in fields(TrainConfig) if f.default is not MISSING]
        self.assertEqual(with_default, ["model_config"])
        self.assertEqual([f.name for f in fields(EvalConfig) if f.default is not MISSING], [])

    def test_a_missing_key_is_named(self):
        for key in ("lr", "dist_timeout_minutes", "dtype"):
            value = {k: v for k, v in TRAIN.items() if k != key}
            with self.assertRaisesRegex(ConfigError, f'configuration needs "{key}"'):
                self.read_train(value)
        with self.assertRaisesRegex(ConfigError, 'configuration needs "out_dir"'):
            self.read_train({**TRAIN, "out_dir": None})

    def test_unknown_keys_protocol_and_integers(self):
        with self.assertRaisesRegex(ConfigError, "unknown configuration keys: nope"):
            self.read_train({**TRAIN, "nope": 1})
        with self.assertRaisesRegex(ConfigError, "configuration protocol 2 != trainer protocol 1"):
            self.read_train({**TRAIN, "protocol": 2})
        with self.assertRaisesRegex(ConfigError, "batch_size must be an integer >= 1, got 0"):
            self.read_train({**TRAIN, "batch_size": 0})
        with self.assertRaisesRegex(ConfigError, "dist_timeout_minutes must be an integer >= 1"):
            self.read_train({**TRAIN, "dist_timeout_minutes": 0.5})

    def test_checks_across_keys(self):
        with self.assertRaisesRegex(ConfigError, r"grad_accum \(8\) cannot exceed batch_size \(4\)"):
            self.read_train({**TRAIN, "grad_accum": 8})
        with self.assertRaisesRegex(ConfigError, "device must be auto, cpu or cuda"):
            self.read_train({**TRAIN, "device": "tpu"})
        with self.assertRaisesRegex(ConfigError, "dtype must be one of"):
            self.read_train({**TRAIN, "dtype": "int8"})
        with self.assertRaisesRegex(ConfigError, "objective must be instruct or lm, got 'mlm'"):
            self.read_train({**TRAIN, "objective": "mlm"})
        with self.assertRaisesRegex(ConfigError, "objective lm needs max_steps"):
            self.read_train({**TRAIN, "objective": "lm"})
        self.assertEqual(self.read_train({**TRAIN, "objective": "lm", "max_steps": 10}).objective, "lm")


if __name__ == "__main__":
    unittest.main()
