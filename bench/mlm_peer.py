"""The PyTorch peer of `ssl-pretrain TEXT.h5 --method mlm --arch bert-mini`.

Hugging Face transformers' BertForMaskedLM with sslkit's bert-mini shape (width 256, 4 layers,
4 heads, MLP 1024, 128 positions, no dropout: sslkit's encoder has none), masks from
DataCollatorForLanguageModeling (15 %, 80/10/10) drawn anew for every batch, AdamW (betas 0.9/0.999,
weight decay 0.01 off biases and LayerNorm), linear warmup over 5 % then cosine decay, both by elapsed
time as sslkit's time budget does, batch 64. It reads the same token ids from our HDF5 file with h5py.
One difference stays: HF's BERT is post-LN, sslkit's pre-LN (the same matmuls and FLOPs).

  mlm_peer.py train TRAIN.h5 --eval MASKED.h5 --budget-s 1200 [--precision fp32|bf16]
      JSON lines: step records, then held-out masked accuracy and perplexity every --eval-every steps,
      scored on the positions an ssl-mask output holds (/input_ids, /mlm_labels): the ones sslkit scores.
  mlm_peer.py throughput [--precision fp32|bf16] [--iters 5]
      one JSON line: median step time and tokens/s on a fixed batch like bench_engine's.
"""
import argparse, json, math, time

import h5py
import numpy as np
import torch
from transformers import BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling, PreTrainedTokenizerFast
from tokenizers import Tokenizer, models
from peer_timing import median_step_seconds, rss_mib

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # sslkit's fixed ids 0-4


def tokenizer_for(vocab):
    """A tokenizer whose ids are sslkit's: the collator needs one for its special ids and vocabulary."""
    names = SPECIALS + [f"t{i}" for i in range(len(SPECIALS), vocab)]
    tok = Tokenizer(models.WordLevel({n: i for i, n in enumerate(names)}, unk_token="[UNK]"))
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")


def model_for(vocab, length):
    cfg = BertConfig(vocab_size=vocab, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                     intermediate_size=1024, max_position_embeddings=length, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0, type_vocab_size=1, pad_token_id=0)
    return BertForMaskedLM(cfg)


def optimizer_for(model, lr, wd):
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and "LayerNorm" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim > 1 and "LayerNorm" not in n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}], lr=lr)


def lr_at(fraction, base, warmup=0.05):
    if fraction < warmup:
        return base * fraction / warmup
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, (fraction - warmup) / (1 - warmup))))


def evaluate(model, ids, labels, lengths, autocast, batch=64):
    model.eval()
    nll, right, n = 0.0, 0, 0
    with torch.no_grad(), autocast():
        for i in range(0, len(ids), batch):
            x = torch.from_numpy(ids[i:i + batch]).long()
            y = torch.from_numpy(labels[i:i + batch]).long()
            att = (torch.arange(x.shape[1])[None, :] < torch.from_numpy(lengths[i:i + batch])[:, None]).long()
            logits = model(input_ids=x, attention_mask=att).logits.float()
            sel = y != -100
            lp = torch.log_softmax(logits[sel], dim=-1)
            t = y[sel]
            nll -= lp.gather(1, t[:, None]).sum().item()
            # Ties count against the model, as sslkit counts them.
            right += ((lp >= lp.gather(1, t[:, None])).sum(1) == 1).sum().item()
            n += int(sel.sum())
    model.train()
    return right / max(1, n), math.exp(nll / max(1, n)), n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "throughput"])
    ap.add_argument("train_file", nargs="?")
    ap.add_argument("--eval")
    ap.add_argument("--budget-s", type=float, default=1200)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup-iters", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    bf16 = a.precision == "bf16"
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)

    if a.mode == "throughput":
        # bench_engine's batch: 8000 tokens, 128 positions, a quarter of the rows full, the rest 30-128
        # tokens, 15 % of the real tokens selected.
        vocab, length, B = 8000, 128, a.batch
        rng = np.random.default_rng(0)
        lengths = np.array([length if r % 4 == 0 else rng.integers(30, length) for r in range(B)])
        real = np.arange(length)[None, :] < lengths[:, None]
        ids = np.where(real, rng.integers(5, vocab, (B, length)), 0)
        labels = np.where(real & (rng.random((B, length)) < 0.15), rng.integers(5, vocab, (B, length)), -100)
        model = model_for(vocab, length)
        opt = optimizer_for(model, a.lr, a.weight_decay)
        x, y = torch.from_numpy(ids).long(), torch.from_numpy(labels).long()
        att = torch.from_numpy(real).long()
        def step():
            with autocast():
                loss = model(input_ids=x, attention_mask=att, labels=y).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        med = median_step_seconds(step, a.warmup_iters, a.iters)
        print(json.dumps({"peer": "transformers", "torch": torch.__version__, "precision": a.precision, "batch": B,
                          "median_step_s": med, "tokens_per_s_median": B * length / med,
                          "peak_rss_mib": rss_mib()}))
        return

    with h5py.File(a.train_file, "r") as f:
        tokens, lengths = f["tokens"][:], f["lengths"][:]
        vocab = int(f["tokenizer"].attrs["vocab_size"])
    with h5py.File(a.eval, "r") as f:
        ev_ids, ev_labels, ev_len = f["input_ids"][:], f["mlm_labels"][:], f["lengths"][:]
    N, L = tokens.shape
    tok = tokenizer_for(vocab)
    collator = DataCollatorForLanguageModeling(tok, mlm=True, mlm_probability=0.15, return_tensors="pt")
    model = model_for(vocab, L)
    opt = optimizer_for(model, a.lr, a.weight_decay)
    rng = np.random.default_rng(a.seed)
    order, at, step = rng.permutation(N), 0, 0
    start = time.perf_counter()
    spent = lambda: time.perf_counter() - start
    steps_per_epoch = N // a.batch

    def log_eval():
        acc, ppl, n = evaluate(model, ev_ids, ev_labels, ev_len, autocast)
        print(json.dumps({"step": step - 1, "eval_accuracy": acc, "eval_perplexity": ppl, "masked_tokens": n,
                          "seconds": spent()}), flush=True)

    while spent() < a.budget_s:
        if at + a.batch > N:
            order, at = rng.permutation(N), 0
        rows = order[at:at + a.batch]
        at += a.batch
        # Real tokens only, as sslkit's rows hold them; the collator pads and masks.
        feats = [{"input_ids": tokens[r, :lengths[r]].tolist()} for r in rows]
        batch = collator(feats)
        if batch["input_ids"].shape[1] < L:  # pad to the file's length, as sslkit's batches are
            pad = L - batch["input_ids"].shape[1]
            batch["input_ids"] = torch.nn.functional.pad(batch["input_ids"], (0, pad), value=0)
            batch["labels"] = torch.nn.functional.pad(batch["labels"], (0, pad), value=-100)
        att = (torch.arange(L)[None, :] < torch.tensor([lengths[r] for r in rows])[:, None]).long()
        for g in opt.param_groups:
            g["lr"] = lr_at(spent() / a.budget_s, a.lr)
        t0 = time.perf_counter()
        with autocast():
            loss = model(input_ids=batch["input_ids"], attention_mask=att, labels=batch["labels"]).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        print(json.dumps({"step": step - 1, "loss": loss.item(), "step_s": time.perf_counter() - t0,
                          "seconds": spent()}), flush=True)
        if a.eval_every and step % a.eval_every == 0:
            log_eval()
    log_eval()
    print(json.dumps({"done": True, "steps": step, "epochs": step / steps_per_epoch, "seconds": spent(),
                      "tokens_per_s": step * a.batch * L / spent(), "peak_rss_mib": rss_mib()}), flush=True)


if __name__ == "__main__":
    main()
