"""PyTorch doing what bench_engine does for the rows ../shared/peer/bench_throughput.py has no model for.

  engine_peer.py peak matmul {fp32,bf16} N                 the machine's limit: torch's N^3 matmul
  engine_peer.py convnet-m emp {fp32,bf16} IMAGES          EMP-SSL's step: convnet-m on 16 crops of 14x14 per
                                                           image, a 3-layer BN projector (1024, 1024, 256), the
                                                           mean total coding rate (eps 0.2) minus 200 x the
                                                           crops' cosine to their image's crop mean
  engine_peer.py {mlm,mae,base}-block block {fp32,bf16} BATCH
                                                           one pre-LN transformer block (nn.TransformerEncoderLayer,
                                                           GELU, no dropout) forward and backward, the sum of its
                                                           output as the loss: bert-mini's (256, 4 heads, 1024) at
                                                           128 tokens, vit-mini's (128, 4, 512) at 50, bert-base's
                                                           (768, 12, 3072) at 128
Options: --iters --warmup --threads --channels-last (emp) --compile (torch >= 2).
Prints one JSON line as bench_throughput.py does (img_per_s_median = images, or sequences, per second).
Every step is forward, zero_grad, backward and an AdamW update, as bench_engine's.
"""
import argparse, json, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("task", choices=["matmul", "emp", "block"])
ap.add_argument("prec", choices=["fp32", "bf16"])
ap.add_argument("batch", type=int)
ap.add_argument("--iters", type=int, default=10)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--channels-last", action="store_true")
ap.add_argument("--compile", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
B = a.batch
bf16 = a.prec == "bf16"


def timed(step):
    times = []
    for i in range(a.warmup + a.iters):
        t = time.perf_counter()
        step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t)
    return times


if a.task == "matmul":
    dt = torch.bfloat16 if bf16 else torch.float32
    x, y = torch.randn(B, B, dtype=dt), torch.randn(B, B, dtype=dt)
    times = timed(lambda: torch.matmul(x, y))
    rates = sorted(2.0 * B ** 3 / t / 1e9 for t in times)
    print(json.dumps(dict(model="peak", task="matmul", prec=a.prec, n=B, threads=torch.get_num_threads(),
                          gflops_median=round(statistics.median(rates), 1), gflops_min=round(rates[0], 1),
                          gflops_max=round(rates[-1], 1), torch=torch.__version__)))
    raise SystemExit(0)


def cbr(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class EMP(nn.Module):
    """convnet-m (convnet-s at twice the width, 256 features) + EMP's projector and loss."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(*cbr(1, 64), *cbr(64, 64), nn.MaxPool2d(2), *cbr(64, 128), *cbr(128, 128),
                                 nn.MaxPool2d(2), *cbr(128, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.proj = nn.Sequential(nn.Linear(256, 1024, bias=False), nn.BatchNorm1d(1024), nn.ReLU(inplace=True),
                                  nn.Linear(1024, 1024, bias=False), nn.BatchNorm1d(1024), nn.ReLU(inplace=True),
                                  nn.Linear(1024, 256))

    def forward(self, crops, views):
        z = F.normalize(self.proj(self.enc(crops)).float(), dim=1)
        n, d = z.shape[0] // views, z.shape[1]
        zs = z.view(views, n, d)
        eye = torch.eye(d)
        tcr = sum(0.5 * torch.logdet(eye + d / (n * 0.2 ** 2) * zc.t() @ zc) for zc in zs) / views
        mean = F.normalize(zs.mean(0), dim=1)
        cosine = F.cosine_similarity(zs, mean.unsqueeze(0), dim=2).mean()
        return -tcr - 200 * cosine


if a.task == "emp":
    views = 16
    model = EMP()
    mf = torch.channels_last if a.channels_last else torch.contiguous_format
    model = model.to(memory_format=mf)
    x = torch.randn(views * B, 1, 14, 14).contiguous(memory_format=mf)
    fwd = torch.compile(model) if a.compile else model
    run = lambda: fwd(x, views)
else:
    dim, heads, mlp, tokens = {"mlm-block": (256, 4, 1024, 128), "mae-block": (128, 4, 512, 50),
                               "base-block": (768, 12, 3072, 128)}[a.model]
    model = nn.TransformerEncoderLayer(dim, heads, mlp, dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=True)
    x = torch.randn(B, tokens, dim, requires_grad=True)
    fwd = torch.compile(model) if a.compile else model
    run = lambda: fwd(x).float().sum()

model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)


def step():
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = run()
    opt.zero_grad(set_to_none=True)
    if x.grad is not None:
        x.grad = None
    loss.backward()
    opt.step()


times = timed(step)
med = statistics.median(times)
tokens_per_s = B * tokens / med if a.task == "block" else 0
print(json.dumps(dict(model=a.model, task=a.task, prec=a.prec, batch=B, threads=torch.get_num_threads(),
                      channels_last=a.channels_last, compile=a.compile, iters=a.iters, warmup=a.warmup,
                      median_step_s=round(med, 4), min_step_s=round(min(times), 4), max_step_s=round(max(times), 4),
                      img_per_s_median=round(B / med, 1), tokens_per_s_median=round(tokens_per_s),
                      peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      torch=torch.__version__)))
