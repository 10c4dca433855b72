"""Eval-only entry point: `python -m instruct_trainer.evaluate CONFIG.json`.

Loads a checkpoint written by `train --save-at` (RUN_DIR/checkpoints/step-N: the built-in GPT's
config.json + model.pt, or a Hugging Face directory), scores prepared examples with the same code as
the in-loop evaluation (train.evaluate) and, when asked, generates greedily with train.generate.
Events are the trainer's JSON lines (protocol.py): "start", "unfit", "eval", "generate", "done", or
"error". Nothing is aggregated here: the TypeScript side computes every metric.

Configuration keys: protocol, checkpoint, eval (prepared JSON lines), max_length (null: the model's
context), eval_batch_size, score (bool), generate (bool), max_new_tokens, device, threads, seed.
"""

import os
import re
import sys

import torch

from . import PROTOCOL_VERSION
from .backends import LoadedModel, checkpoint_meta, is_builtin_meta, load_model, load_state, read_builtin_checkpoint
from .config import EvalConfig, read_config
from .data import TemplateEncoder, read_examples
from .model import GPT, ByteTokenizer
from .protocol import ConfigError, emit, main_with_events
from .train import evaluate, generate, pick_device, set_determinism

def load_config(path):
    return read_config(path, "evaluation", EvalConfig)


def load_checkpoint(path, seed):
    """A LoadedModel from a `train --save-at` checkpoint directory."""
    meta = checkpoint_meta(path, "--checkpoint")
    if is_builtin_meta(meta):
        cfg, state = read_builtin_checkpoint(path, meta)
        model = GPT(cfg)
        load_state(model, state, os.path.join(path, "model.pt"))
        d = f"checkpoint {path} (built-in GPT, {cfg.n_layer} layers, {cfg.n_embd} wide, context {cfg.context})"
        return LoadedModel(model, ByteTokenizer(), "builtin", cfg.context, d)
    return load_model(path, None, seed)


def checkpoint_step(path):
    m = re.search(r"step-(\d+)$", os.path.basename(os.path.normpath(path)))
    return int(m.group(1)) if m else 0


def run(config_path):
    cfg = load_config(config_path)
    set_determinism(cfg.seed, cfg.threads)
    device = pick_device(cfg.device)
    lm = load_checkpoint(cfg.checkpoint, cfg.seed)
    max_length = cfg.max_length or lm.context
    if max_length > lm.context:
        raise ConfigError(f"max_length {max_length} is longer than the model's context ({lm.context})")
    if max_length < 2:
        raise ConfigError("max_length must be at least 2")
    lm.model.to(device)
    encoder = TemplateEncoder(lm.tokenizer, max_length)
    pad_id = getattr(lm.tokenizer, "pad_id", lm.tokenizer.eos_id)
    encoded = [encoder.encode(r) for r in read_examples(cfg.eval)]
    step = checkpoint_step(cfg.checkpoint)
    emit(
        "start",
        protocol=PROTOCOL_VERSION,
        model=lm.describe,
        device=str(device),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        world=1,
        trainExamples=0,
        evalExamples=len(encoded),
        steps=0,
        batchSize=cfg.eval_batch_size,
        maxLength=max_length,
    )
    unfit = [i for i, e in enumerate(encoded) if e.unfit]
    truncated = [i for i, e in enumerate(encoded) if e.truncated > 0]
    if unfit or truncated:
        emit(
            "unfit",
            split="eval",
            maxLength=max_length,
            unfit=len(unfit),
            indices=unfit,
            truncatedPrompts=len(truncated),
            truncatedIndices=truncated,
        )
    if cfg.score:
        sums, counts = evaluate(lm, encoded, cfg.eval_batch_size, pad_id, device)
        emit("eval", step=step, examples=len(encoded), lossSum=sums, tokens=counts)
    if cfg.generate:
        # The in-loop generation code: prompts cut from the left to the model's context - max_new_tokens.
        emit("generate", step=step, outputs=generate(lm, encoded, cfg.max_new_tokens, device))
    emit("done", steps=0, trainSeconds=0, stepsPerSecond=None)


def main(argv):
    return main_with_events(argv, "python -m instruct_trainer.evaluate CONFIG.json", lambda: run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
