"""The configurations of the two entry points, one frozen dataclass each.

The launcher writes every value explicitly (src/train/run.ts `trainerConfig` for training,
src/evaluate/backends/checkpoint.ts for evaluating a checkpoint); the defaults of the settings live once,
on the TypeScript side (src/train/options.ts), not here. A key that is missing, unknown or of the wrong
kind is a ConfigError naming it.
"""

import json
from dataclasses import MISSING, dataclass, fields
from typing import Optional

from . import PROTOCOL_VERSION
from .protocol import ConfigError

DEVICES = ("auto", "cpu", "cuda")
# instruct: loss on the answer tokens of {"instruction", "answer"} rows; lm: next-token loss on every token
# of {"text"} rows, packed into max_length sequences (pretraining).
OBJECTIVES = ("instruct", "lm")


@dataclass(frozen=True)
class TrainConfig:
    """`python -m instruct_trainer CONFIG.json`: train on `train` in its order, evaluate on `eval`."""

    train: str
    eval: Optional[str]
    out_dir: str
    model: str
    max_length: Optional[int]
    batch_size: int
    grad_accum: int
    eval_batch_size: int
    lr: float
    warmup: int
    min_lr_ratio: float
    weight_decay: float
    clip: float
    epochs: int
    max_steps: Optional[int]
    eval_every: int
    generate_at: list
    generate_max_examples: Optional[int]
    max_new_tokens: int
    save_at: list
    seed: int
    threads: Optional[int]
    device: str
    dtype: str
    dist_timeout_minutes: int
    debug_order: bool
    objective: str
    # A checkpoint directory of a built-in model (checkpoints/step-N of an earlier run) to start from, or None.
    init: Optional[str]
    # Not written by the CLI: overrides of a built-in model's size (n_layer, n_embd, ...) for direct use.
    model_config: Optional[dict] = None

    POSITIVE_INTS = (
        "batch_size",
        "grad_accum",
        "eval_batch_size",
        "epochs",
        "eval_every",
        "max_new_tokens",
        "dist_timeout_minutes",
    )
    PATHS = ("train", "out_dir")


@dataclass(frozen=True)
class EvalConfig:
    """`python -m instruct_trainer.evaluate CONFIG.json`: score and/or generate with a saved checkpoint."""

    checkpoint: str
    eval: str
    max_length: Optional[int]
    eval_batch_size: int
    score: bool
    generate: bool
    max_new_tokens: int
    device: str
    threads: Optional[int]
    seed: int

    POSITIVE_INTS = ("eval_batch_size", "max_new_tokens")
    PATHS = ("checkpoint", "eval")


def read_config(path, what, cls):
    """The `cls` configuration of the JSON file `path`: this protocol version, known keys only, every key
    without a default given, the path keys strings and the positive-integer keys integers >= 1. `what`
    names it in errors."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read the {what} configuration {path}: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"the {what} configuration {path} is not a JSON object")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known - {"protocol"})
    if unknown:
        raise ConfigError(f"unknown configuration keys: {', '.join(unknown)}")
    if raw.get("protocol") != PROTOCOL_VERSION:
        raise ConfigError(f"configuration protocol {raw.get('protocol')} != trainer protocol {PROTOCOL_VERSION}")
    for key in cls.PATHS:
        if not isinstance(raw.get(key), str):
            raise ConfigError(f'configuration needs "{key}"')
    missing = [f.name for f in fields(cls) if f.default is MISSING and f.name not in raw]
    if missing:
        names = ", ".join(f'"{k}"' for k in missing)
        raise ConfigError(f"configuration needs {names} (the launcher gives every setting explicitly)")
    for key in cls.POSITIVE_INTS:
        value = raw[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{key} must be an integer >= 1, got {value!r}")
    return cls(**{k: v for k, v in raw.items() if k != "protocol"})


def check_train_config(cfg, dtypes):
    """The checks across keys of a training configuration (`dtypes`: the dtypes the backends know)."""
    if cfg.grad_accum > cfg.batch_size:
        raise ConfigError(f"grad_accum ({cfg.grad_accum}) cannot exceed batch_size ({cfg.batch_size})")
    if cfg.device not in DEVICES:
        raise ConfigError(f"device must be auto, cpu or cuda, got {cfg.device!r}")
    if cfg.objective not in OBJECTIVES:
        raise ConfigError(f"objective must be instruct or lm, got {cfg.objective!r}")
    if cfg.objective == "lm" and cfg.max_steps is None:
        raise ConfigError("objective lm needs max_steps: the packed sequences' count depends on the tokenizer")
    if cfg.dtype not in dtypes:
        raise ConfigError(f"dtype must be one of {', '.join(dtypes)}, got {cfg.dtype!r}")
    return cfg
