"""The training loop: exact data order, AdamW, cosine schedule with warm-up and a floor, gradient
accumulation, in-loop test loss, greedy generations and checkpoints at chosen steps."""

import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

from . import PROTOCOL_VERSION
from .backends import DTYPES, load_model
from .config import TrainConfig, check_train_config, read_config
from .data import TemplateEncoder, pack_texts, read_examples, read_texts
from .protocol import ConfigError, emit, log

def load_config(path):
    return check_train_config(read_config(path, "trainer", TrainConfig), DTYPES)


def init_distributed(device, minutes):
    """Join the process group. The timeout bounds how long a rank waits in a collective while rank 0 alone
    evaluates and generates; NCCL's default (10 minutes) is too short for a large test set on a big model."""
    from datetime import timedelta

    import torch.distributed as dist

    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(minutes=minutes))


def lr_at(step, cfg, total_steps):
    """Learning-rate factor after `step` optimizer steps: linear warm-up, then cosine to min_lr_ratio."""
    warmup = cfg.warmup
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    decay = max(1, total_steps - warmup)
    progress = min(1.0, (step - warmup) / decay)
    floor = cfg.min_lr_ratio
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def pick_device(want):
    if want == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for, but this PyTorch sees no CUDA device")
    if want == "cpu" or (want == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))


def set_determinism(seed, threads):
    random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
    except TypeError:  # older signatures
        torch.use_deterministic_algorithms(True)
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False


def make_batch(encoded, pad_id, device):
    """Right-padded ids, next-token targets and the answer mask for a list of fit examples."""
    width = max(len(e.ids) for e in encoded)
    ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(encoded), width - 1), dtype=torch.bool)
    for i, e in enumerate(encoded):
        ids[i, : len(e.ids)] = torch.tensor(e.ids, dtype=torch.long)
        # logits at position j predict token j+1: answer tokens answer_start.. are predicted from answer_start-1..
        mask[i, e.answer_start - 1 : len(e.ids) - 1] = True
    return ids.to(device), mask.to(device)


def token_losses(lm, ids, mask):
    logits = lm.logits(ids[:, :-1])
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1), reduction="none")
    return ce.view(ids.shape[0], -1) * mask


@torch.no_grad()
def evaluate(lm, encoded, batch_size, pad_id, device):
    """Per example: the summed cross-entropy of its answer tokens and their count (None, 0 when unfit)."""
    lm.model.eval()
    sums = [None] * len(encoded)
    counts = [0] * len(encoded)
    fit = [i for i, e in enumerate(encoded) if not e.unfit]
    for k in range(0, len(fit), batch_size):
        part = fit[k : k + batch_size]
        ids, mask = make_batch([encoded[i] for i in part], pad_id, device)
        per_row = token_losses(lm, ids, mask).double().sum(dim=1).tolist()
        for j, i in enumerate(part):
            sums[i] = per_row[j]
            counts[i] = encoded[i].answer_tokens
    lm.model.train()
    return sums, counts


@torch.no_grad()
def generate(lm, encoded, max_new_tokens, device):
    lm.model.eval()
    tok = lm.tokenizer
    outputs = []
    for e in encoded:
        room = max(1, lm.context - max_new_tokens)
        prompt = e.prompt_ids[-room:]
        if tok.bos_id is not None and len(e.prompt_ids) > room:
            prompt = [tok.bos_id] + prompt[1:]
        ids = torch.tensor([prompt], dtype=torch.long, device=device)
        out = []
        if lm.kind == "builtin":
            logits, past = lm.model(ids)
            for _ in range(max_new_tokens):
                nxt = int(logits[0, -1].argmax())
                if nxt == tok.eos_id:
                    break
                out.append(nxt)
                if len(prompt) + len(out) >= lm.context:
                    break
                logits, past = lm.model(torch.tensor([[nxt]], device=device), past)
        else:
            gen = lm.model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=tok.eos_id,
                pad_token_id=tok.pad_id,
            )
            out = [t for t in gen[0, ids.shape[1] :].tolist() if t != tok.eos_id]
        outputs.append(tok.decode(out))
    lm.model.train()
    return outputs


def save_checkpoint(lm, cfg, step):
    path = os.path.join(cfg.out_dir, "checkpoints", f"step-{step}")
    os.makedirs(path, exist_ok=True)
    if lm.kind == "builtin":
        torch.save(lm.model.state_dict(), os.path.join(path, "model.pt"))
        with open(os.path.join(path, "config.json"), "w", encoding="utf-8") as f:
            json.dump({"model": "builtin", "config": lm.model.cfg.to_dict()}, f, indent=2)
    else:
        lm.model.save_pretrained(path)
        lm.tokenizer.tok.save_pretrained(path)
    return path


def run(config_path):
    cfg = load_config(config_path)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    set_determinism(cfg.seed, cfg.threads)
    device = pick_device(cfg.device)
    if world > 1:
        init_distributed(device, cfg.dist_timeout_minutes)
        if device.type == "cuda":
            torch.cuda.set_device(device)
    main_rank = rank == 0

    def out(event, **fields):
        if main_rank:
            emit(event, **fields)

    lm = load_model(cfg.model, cfg.model_config, cfg.seed, cfg.dtype, cfg.init)
    max_length = cfg.max_length or lm.context
    if max_length > lm.context:
        raise ConfigError(f"max_length {max_length} is longer than the model's context ({lm.context})")
    if max_length < 2:
        raise ConfigError("max_length must be at least 2")
    lm.model.to(device)
    lm.model.train()
    encoder = TemplateEncoder(lm.tokenizer, max_length)
    pad_id = getattr(lm.tokenizer, "pad_id", lm.tokenizer.eos_id)

    if cfg.objective == "lm":
        train = pack_texts(read_texts(cfg.train), lm.tokenizer, max_length)
        if not train:
            raise ConfigError(f"{cfg.train}: no text to train on")
    else:
        train_rows = read_examples(cfg.train)
        if not train_rows:
            raise ConfigError(f"{cfg.train}: no training examples")
        train = [encoder.encode(r) for r in train_rows]
    eval_enc = [encoder.encode(r) for r in read_examples(cfg.eval)] if cfg.eval else []

    batch = cfg.batch_size
    n = len(train)
    if cfg.max_steps is not None:
        total_steps = cfg.max_steps
        total_examples = total_steps * batch
    else:
        total_examples = n * cfg.epochs
        total_steps = math.ceil(total_examples / batch)

    for split, enc in (("train", train), ("eval", eval_enc)):
        unfit = [i for i, e in enumerate(enc) if e.unfit]
        truncated = sum(1 for e in enc if e.truncated > 0)
        if unfit or truncated:
            out("unfit", split=split, maxLength=max_length, unfit=len(unfit), indices=unfit[:100], truncatedPrompts=truncated)

    decay, no_decay = [], []
    for name, p in lm.model.named_parameters():
        (decay if p.dim() >= 2 and "wte" not in name and "wpe" not in name else no_decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(s, cfg, total_steps))
    model = lm.model
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(lm.model, device_ids=[device.index] if device.type == "cuda" else None)

    out(
        "start",
        protocol=PROTOCOL_VERSION,
        model=lm.describe,
        device=str(device),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        world=world,
        trainExamples=n,
        objective=cfg.objective,
        evalExamples=len(eval_enc),
        steps=total_steps,
        batchSize=batch,
        maxLength=max_length,
    )

    generate_at = set(cfg.generate_at)
    save_at = set(cfg.save_at)
    gen_n = cfg.generate_max_examples or len(eval_enc)

    def checkpoint_events(step):
        if main_rank and eval_enc and (step % cfg.eval_every == 0 or step == total_steps or step in generate_at):
            sums, counts = evaluate(lm, eval_enc, cfg.eval_batch_size, pad_id, device)
            out("eval", step=step, examples=min(step * batch, total_examples), lossSum=sums, tokens=counts)
        if main_rank and eval_enc and step in generate_at:
            out("generate", step=step, outputs=generate(lm, eval_enc[:gen_n], cfg.max_new_tokens, device))
        if main_rank and step in save_at:
            out("checkpoint", step=step, path=save_checkpoint(lm, cfg, step))
        if world > 1:
            torch.distributed.barrier()

    train_seconds = 0.0
    checkpoint_events(0)
    for step in range(total_steps):
        t0 = time.perf_counter()
        start = step * batch
        positions = list(range(start, min(start + batch, total_examples)))
        mine = positions[rank::world]
        global_tokens = sum(train[p % n].answer_tokens for p in positions if not train[p % n].unfit)
        accum = cfg.grad_accum
        chunks = [mine[(len(mine) * a) // accum : (len(mine) * (a + 1)) // accum] for a in range(accum)]
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for a, chunk in enumerate(chunks):
            fit = [train[p % n] for p in chunk if not train[p % n].unfit]
            if not fit and world == 1:
                continue
            scale = 0.0 if not fit or global_tokens == 0 else world / global_tokens
            if not fit:  # keep every rank's collective calls in step (DDP): a zero-weight forward
                fit = [train[next(i for i in range(n) if not train[i].unfit)]]
            ids, mask = make_batch(fit, pad_id, device)
            sync = world == 1 or a == accum - 1
            ctx = model.no_sync() if not sync and world > 1 else _null()
            with ctx:
                if lm.kind == "builtin":
                    logits = model(ids[:, :-1])[0]
                else:
                    logits = model(input_ids=ids[:, :-1]).logits
                ce = F.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1), reduction="none"
                ).view(ids.shape[0], -1)
                summed = (ce * mask).sum()
                (summed * scale).backward()
            if scale > 0:
                loss_sum += summed.detach().double()
        if world > 1:  # gloo reduces no float64
            reduced = loss_sum.float()
            torch.distributed.all_reduce(reduced)
            loss_sum = reduced.double()
        if cfg.clip and cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(lm.model.parameters(), cfg.clip)
        lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        train_seconds += time.perf_counter() - t0
        loss = loss_sum.item() / global_tokens if global_tokens > 0 else None
        done = step + 1
        if cfg.debug_order:
            out("order", step=done, positions=positions, indices=[p % n for p in positions])
        out("step", step=done, examples=positions[-1] + 1, loss=loss, tokens=global_tokens, lr=lr, seconds=round(time.perf_counter() - t0, 4))
        checkpoint_events(done)
    out("done", steps=total_steps, trainSeconds=round(train_seconds, 3), stepsPerSecond=round(total_steps / train_seconds, 4) if train_seconds > 0 else None)
    if world > 1:
        torch.distributed.destroy_process_group()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
