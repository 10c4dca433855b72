"""Baseline for `npm run bench -- train`: a bare PyTorch loop over the same prepared examples, model,
batches, optimizer and schedule as instruct_trainer, with nothing else (no protocol, no evaluation).

    python3 bench/train_bare.py RUN_DIR/trainer-config.json  -> one JSON line: steps/s and step losses
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F

from instruct_trainer.backends import load_model
from instruct_trainer.data import TemplateEncoder, read_examples


def main(config_path):
    cfg = json.load(open(config_path, encoding="utf-8"))
    torch.manual_seed(cfg["seed"])
    if cfg.get("threads"):
        torch.set_num_threads(cfg["threads"])
    lm = load_model(cfg["model"], None, cfg["seed"])
    model = lm.model
    model.train()
    tok = lm.tokenizer
    enc = TemplateEncoder(tok, cfg["max_length"] or lm.context)
    rows = [enc.encode(r) for r in read_examples(cfg["train"])]
    batch, steps = cfg["batch_size"], cfg["max_steps"]
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wte" not in n and "wpe" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "wte" not in n and "wpe" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": other, "weight_decay": 0.0}],
        lr=cfg["lr"],
        betas=(0.9, 0.95),
    )
    warmup, floor = cfg["warmup"], cfg["min_lr_ratio"]

    def factor(s):
        if warmup > 0 and s < warmup:
            return (s + 1) / warmup
        p = min(1.0, (s - warmup) / max(1, steps - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    losses = []
    t0 = time.perf_counter()
    for s in range(steps):
        part = [rows[(s * batch + i) % len(rows)] for i in range(batch)]
        part = [e for e in part if not e.unfit]
        if not part:  # no answer fits: nothing to learn, the schedule still advances
            opt.step()
            sched.step()
            losses.append(None)
            continue
        width = max(len(e.ids) for e in part)
        ids = torch.full((len(part), width), tok.pad_id, dtype=torch.long)
        mask = torch.zeros((len(part), width - 1), dtype=torch.bool)
        for i, e in enumerate(part):
            ids[i, : len(e.ids)] = torch.tensor(e.ids)
            mask[i, e.answer_start - 1 : len(e.ids) - 1] = True
        logits = model(ids[:, :-1])[0]
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        loss = (ce.view(len(part), -1) * mask).sum() / mask.sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    seconds = time.perf_counter() - t0
    print(json.dumps({"steps": steps, "seconds": seconds, "stepsPerSecond": steps / seconds, "losses": losses}))


if __name__ == "__main__":
    main(sys.argv[1])
