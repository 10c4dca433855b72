"""Model sources: the built-in GPT (`builtin:<size>`) or a Hugging Face causal-LM directory."""

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


def load_model(spec, config_overrides, seed, dtype="float32"):
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
        d = f"builtin:{size} ({cfg.n_layer} layers, {cfg.n_embd} wide, {cfg.n_head} heads, context {cfg.context}, {model.num_params():,} parameters)"
        return LoadedModel(model, ByteTokenizer(), "builtin", cfg.context, d)
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
