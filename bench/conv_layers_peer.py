"""Each convolution of a step alone in PyTorch (oneDNN 3.x inside the current torch, 2.x in Debian's): forward,
backward-data and backward-weights of one 3x3 stride-1 conv, bf16 or fp32, channels-last, medians of ITERS; to set
beside bench_engine's per-layer profile (SSLKIT_PROFILE=2), which times our oneDNN 2.6 on the same shapes.
  conv_layers_peer.py {fp32,bf16} [--iters 20]   (convnet-s's layers at batch 512: both views of a SimCLR step)
Prints one line per layer: ms forward, ms backward (data + weights), GFLOP/s of the three."""
import argparse, statistics, time
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("prec", choices=["fp32", "bf16"])
ap.add_argument("--iters", type=int, default=20)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
dt = torch.bfloat16 if a.prec == "bf16" else torch.float32
print(f"torch {torch.__version__} {a.prec} channels-last, {a.threads} threads")
for n, c, o, hw in [(512, 1, 32, 28), (512, 32, 32, 28), (512, 32, 64, 14), (512, 64, 64, 14), (512, 64, 128, 7)]:
    x = torch.randn(n, c, hw, hw, dtype=dt).contiguous(memory_format=torch.channels_last).requires_grad_(c > 1)
    w = torch.randn(o, c, 3, 3, dtype=dt).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    fwd, bwd = [], []
    for i in range(a.iters + 3):
        t0 = time.perf_counter()
        y = F.conv2d(x, w, padding=1)
        t1 = time.perf_counter()
        y.backward(torch.ones_like(y))
        t2 = time.perf_counter()
        x.grad = None
        w.grad = None
        if i >= 3:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
    flop = 2.0 * n * hw * hw * o * c * 9
    f, b = statistics.median(fwd), statistics.median(bwd)
    passes = 3 if c > 1 else 2
    print(f"  [{n},{hw},{hw},{c}] * [{o},{c},3,3]  fwd {f * 1e3:7.2f} ms  bwd {b * 1e3:7.2f} ms  "
          f"{passes * flop / (f + b) / 1e9:6.0f} GFLOP/s")
