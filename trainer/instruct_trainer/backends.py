"""Model sources: the built-in GPT (`builtin:<size>`) or a Hugging Face causal-LM directory."""

import json
import os

import torch

from .model import GPT, SIZES, ByteTokenizer, GPTConfig
from .protocol import ConfigError, DamagedFileError


class LoadedModel:
    def __init__(self, model, tokenizer, kind, context, describe):
        self.model = model
        self.tokenizer = tokenizer
        self.kind = kind  # "builtin" or "hf"
        self.context = context
        self.describe = describe

    def logits(self, ids):
        if self.kind == "builtin":
            return self.model(ids)[0]
        return self.model(input_ids=ids).logits


class HFTokenizer:
    def __init__(self, tok):
        self.tok = tok
        self.bos_id = tok.bos_token_id
        self.eos_id = tok.eos_token_id
        if self.eos_id is None:
            raise ConfigError("the tokenizer has no EOS token; the template needs one to end answers")
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else self.eos_id

    def encode(self, text):
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids):
        return self.tok.decode(ids, skip_special_tokens=True)


# Precision of a model directory's weights in training. transformers 5.x loads in the precision the
# checkpoint was saved in (usually bf16) unless told, so training would silently run in pure bf16:
# float32 is the default, "auto" keeps the saved precision.
DTYPES = ("float32", "bfloat16", "float16", "auto")


def dtype_kwargs(transformers_version, dtype):
    """The from_pretrained keyword for `dtype`: `dtype` since transformers 4.56, `torch_dtype` before."""
    if dtype == "auto":
        value = "auto"
    else:
        value = getattr(torch, dtype)
    parts = []
    for p in str(transformers_version).split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 2:
        parts.append(0)
    key = "dtype" if tuple(parts) >= (4, 56) else "torch_dtype"
    return {key: value}


def checkpoint_meta(path, flag):
    """The config.json of a checkpoint directory (`flag` names the option in errors)."""
    if not os.path.isdir(path):
        raise ConfigError(f'{flag} "{path}" is not a directory')
    meta_path = os.path.join(path, "config.json")
    if not os.path.isfile(meta_path):
        raise ConfigError(f'{flag} "{path}" has no config.json; give a RUN_DIR/checkpoints/step-N directory')
    try:
        with open(meta_path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise DamagedFileError(f"cannot read {meta_path}: {e}") from None


def is_builtin_meta(meta):
    return isinstance(meta, dict) and meta.get("model") == "builtin"


def read_builtin_checkpoint(path, meta):
    """The GPTConfig and state dict of a built-in model's checkpoint directory (config.json + model.pt,
    as train.py save_checkpoint writes them); `meta` is its config.json."""
    try:
        cfg = GPTConfig(**meta["config"])
    except (KeyError, TypeError) as e:
        raise ConfigError(f"{os.path.join(path, 'config.json')}: not a built-in model configuration ({e})") from None
    weights = os.path.join(path, "model.pt")
    if not os.path.isfile(weights):
        raise ConfigError(f'"{path}" has no model.pt')
    try:
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except TypeError:  # PyTorch without weights_only
            state = torch.load(weights, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - any load failure of a file that is there: a damaged file
        raise DamagedFileError(f"cannot load {weights}: {e}") from None
    return cfg, state


def load_state(model, state, weights):
    try:
        model.load_state_dict(state)
    except Exception as e:  # noqa: BLE001 - weights that do not fit their own config: a damaged file
        raise DamagedFileError(f"cannot load {weights}: {e}") from None


def load_model(spec, config_overrides, seed, dtype="float32", init=None):
    """The model of `spec`, with random weights drawn from `seed` or, with `init`, the weights of that
    built-in checkpoint (whose shape must be the one `spec` names)."""
    if spec.startswith("builtin:") or spec == "builtin":
        if dtype != "float32":
            raise ConfigError(f"dtype {dtype}: built-in models train in float32")
        size = spec.split(":", 1)[1] if ":" in spec else "mini"
        if size not in SIZES:
            raise ConfigError(f'unknown built-in size "{size}"; expected one of: {", ".join(SIZES)}')
        base = SIZES[size].to_dict()
        base.update({k: v for k, v in (config_overrides or {}).items() if v is not None})
        cfg = GPTConfig(**base)
        torch.manual_seed(seed)
        model = GPT(cfg)
        origin = "random weights"
        if init is not None:
            meta = checkpoint_meta(init, "--init")
            if not is_builtin_meta(meta):
                raise ConfigError(
                    f'--init "{init}" is not a built-in model\'s checkpoint; a Hugging Face checkpoint is a model directory: pass it as --model'
                )
            saved, state = read_builtin_checkpoint(init, meta)
            want = cfg.to_dict()
            if saved.to_dict() != want:
                diff = ", ".join(f"{k} {v} (--model: {want.get(k)})" for k, v in saved.to_dict().items() if want.get(k) != v)
                raise ConfigError(f'--init "{init}" holds a built-in model of another shape: {diff}; pass the --model size it was trained with')
            load_state(model, state, os.path.join(init, "model.pt"))
            origin = f"weights from {init}"
        d = f"builtin:{size} ({cfg.n_layer} layers, {cfg.n_embd} wide, {cfg.n_head} heads, context {cfg.context}, {model.num_params():,} parameters, {origin})"
        return LoadedModel(model, ByteTokenizer(), "builtin", cfg.context, d)
    if init is not None:
        raise ConfigError("--init starts a built-in model from its checkpoint; a model directory is its own start (drop --init)")
    if not os.path.isdir(spec):
        raise ConfigError(f'--model "{spec}" is neither builtin:<size> nor a model directory')
    if dtype not in DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    try:
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise ConfigError(
            "a model directory needs the Python package transformers, which this Python cannot import; "
            "install it (pip install transformers) or use --model builtin:mini"
        ) from None
    torch.manual_seed(seed)
    try:
        tok = AutoTokenizer.from_pretrained(spec, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            spec, local_files_only=True, **dtype_kwargs(transformers.__version__, dtype)
        )
    except Exception as e:  # noqa: BLE001 - the directory is there but does not load: a damaged model
        raise DamagedFileError(f'could not load the model in "{spec}": {e}') from None
    context = getattr(model.config, "max_position_embeddings", None) or 2048
    weights = next(model.parameters()).dtype
    d = f"{spec} ({type(model).__name__}, {sum(p.numel() for p in model.parameters()):,} parameters, {weights})"
    return LoadedModel(model, HFTokenizer(tok), "hf", context, d)
