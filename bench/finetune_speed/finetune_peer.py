"""The transformers side of bench/finetune_speed: full fine-tuning steps of
BertForSequenceClassification (bert-base's shape) on the token rows of an
sslkit text file, or of ViTForImageClassification (vit-base's shape, patch
16) on the images of an sslkit image file, with torch's AdamW, in f32 or
under CPU autocast to bf16 (f32 weights and optimizer, as sslkit's bf16).
Random weights; dropout 0, as sslkit's encoders have none, so both sides do
the same arithmetic. One step = batch to tensors, forward, loss, backward,
AdamW step, as ssl-finetune's step (which includes taking its batch).
Prints one JSON line: every step's seconds, the median of those after the
warm-up, and tokens or images per second from it.

usage: finetune_peer.py {bert,vit} DATA.h5 --precision {f32,bf16} --batch 32 --steps 3 --warmup 1
Run with a python that has torch, transformers and h5py (/work/venv/bin/python)."""
import argparse
import json
import os
import statistics
import sys
import time

import h5py
import numpy as np
import torch
import transformers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from peer_timing import cpu_name, rss_mib  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("model", choices=["bert", "vit"])
ap.add_argument("data")
ap.add_argument("--precision", choices=["f32", "bf16"], default="f32")
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--steps", type=int, default=3, help="timed steps, after the warm-up")
ap.add_argument("--warmup", type=int, default=1)
ap.add_argument("--lr", type=float, default=1e-4)
a = ap.parse_args()

torch.manual_seed(0)
f = h5py.File(a.data, "r")
labels = torch.from_numpy(f["labels"][:].astype(np.int64))
classes = int(labels.max()) + 1
base = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=classes)
if a.model == "bert":
    rows = torch.from_numpy(f["tokens"][:].astype(np.int64))
    vocab = int(f["tokenizer"].attrs["vocab_size"]) if "vocab_size" in f["tokenizer"].attrs else int(rows.max()) + 1
    vocab = max(vocab, int(rows.max()) + 1)
    model = transformers.BertForSequenceClassification(
        transformers.BertConfig(vocab_size=vocab, max_position_embeddings=512, layer_norm_eps=1e-12, **base))
    unit, per_row = "tokens", rows.shape[1]
else:
    images = f["images"]  # N,H,W,C uint8, normalised per channel as ssl-finetune does
    side = images.shape[1]
    rows = torch.from_numpy(images[:])
    mean = rows.float().mean((0, 1, 2)).view(1, 3, 1, 1)
    std = rows.float().std((0, 1, 2)).view(1, 3, 1, 1)
    model = transformers.ViTForImageClassification(
        transformers.ViTConfig(image_size=side, patch_size=16, num_channels=3, layer_norm_eps=1e-12, **base))
    unit, per_row = "images", 1
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
n = rows.shape[0]


def batch(step):
    at = (step * a.batch) % (n - a.batch + 1)
    x = rows[at:at + a.batch]
    if a.model == "vit":
        x = (x.permute(0, 3, 1, 2).float() - mean) / std
        return {"pixel_values": x, "labels": labels[at:at + a.batch]}
    return {"input_ids": x, "attention_mask": (x != 0).long(), "labels": labels[at:at + a.batch]}


times, losses = [], []
for step in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    inputs = batch(step)
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
        loss = model(**inputs).loss
    loss.backward()
    opt.step()
    times.append(time.perf_counter() - t0)
    losses.append(loss.item())
    print(f"step {step}: {times[-1]:.2f} s, loss {losses[-1]:.4f}", file=sys.stderr, flush=True)
timed = times[a.warmup:]
med = statistics.median(timed)
print(json.dumps({"who": "transformers", "model": a.model, "prec": a.precision, "batch": a.batch,
                  "step_s": [round(t, 3) for t in times], "warmup": a.warmup, "median_step_s": med,
                  f"{unit}_per_s": round(a.batch * per_row / med, 1), "unit": unit,
                  "params": sum(p.numel() for p in model.parameters()), "rss_mib_self": round(rss_mib()),
                  "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "transformers": transformers.__version__, "cpu": cpu_name()}))
