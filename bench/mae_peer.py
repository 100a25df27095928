"""The PyTorch peer of one `ssl-pretrain --method mae --arch vit-mini` step (bench_engine vit-mini mae).

MAE as facebookresearch/mae's models_mae.py does it, at sslkit's vit-mini shape: 28x28x1 images, patch 4
(49 tokens), encoder width 128, depth 6, 4 heads, MLP 512, pre-LN, fixed 2-D sine-cosine positions, a class
token; random masking by argsort of noise keeping 12 of 49; decoder width 128, 2 blocks, 4 heads; per-patch
normalised pixel targets; MSE on hidden patches; AdamW betas (0.9, 0.95). Blocks are torch's
nn.TransformerEncoderLayer (norm_first, GELU, no dropout), which PyTorch dispatches to its fused kernels.

  mae_peer.py [--precision fp32|bf16] [--batch 256] [--iters 8] [--warmup-iters 3]
prints one JSON line: median step time, images/s, peak RSS.
"""
import argparse, json

import numpy as np
import torch
import torch.nn as nn
from peer_timing import median_step_seconds, rss_mib


def sincos_2d(dim, gh, gw):
    def one(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    grid = np.meshgrid(np.arange(gw, dtype=np.float64), np.arange(gh, dtype=np.float64))
    return np.concatenate([one(dim // 2, grid[0]), one(dim // 2, grid[1])], axis=1).astype(np.float32)


def blocks(width, depth, heads):
    return nn.ModuleList([nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, activation="gelu",
                                                     batch_first=True, norm_first=True) for _ in range(depth)])


class MAE(nn.Module):
    def __init__(self, p=4, size=28, width=128, depth=6, heads=4, dwidth=128, ddepth=2, dheads=4):
        super().__init__()
        self.p, self.g = p, size // p
        L = self.g * self.g
        self.embed = nn.Conv2d(1, width, p, p)
        self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.register_buffer("pos", torch.cat([torch.zeros(1, width), torch.from_numpy(sincos_2d(width, self.g, self.g))])[None])
        self.blocks, self.norm = blocks(width, depth, heads), nn.LayerNorm(width)
        self.dec_embed = nn.Linear(width, dwidth)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dwidth))
        self.register_buffer("dpos", torch.cat([torch.zeros(1, dwidth), torch.from_numpy(sincos_2d(dwidth, self.g, self.g))])[None])
        self.dblocks, self.dnorm = blocks(dwidth, ddepth, dheads), nn.LayerNorm(dwidth)
        self.pred = nn.Linear(dwidth, p * p)
        self.L = L

    def forward(self, imgs, ratio=0.75):
        N = imgs.shape[0]
        x = self.embed(imgs).flatten(2).transpose(1, 2) + self.pos[:, 1:]
        keep = int(self.L * (1 - ratio))
        noise = torch.rand(N, self.L)
        shuffle = torch.argsort(noise, dim=1)
        restore = torch.argsort(shuffle, dim=1)
        kept = shuffle[:, :keep]
        x = torch.gather(x, 1, kept[..., None].expand(-1, -1, x.shape[2]))
        x = torch.cat([(self.cls + self.pos[:, :1]).expand(N, -1, -1), x], 1)
        for b in self.blocks:
            x = b(x)
        x = self.dec_embed(self.norm(x))
        m = self.mask_token.expand(N, self.L + 1 - x.shape[1], -1)
        y = torch.cat([x[:, 1:], m], 1)
        y = torch.gather(y, 1, restore[..., None].expand(-1, -1, x.shape[2]))
        y = torch.cat([x[:, :1], y], 1) + self.dpos
        for b in self.dblocks:
            y = b(y)
        pred = self.pred(self.dnorm(y))[:, 1:]
        mask = torch.ones(N, self.L)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, restore)
        t = imgs.reshape(N, 1, self.g, self.p, self.g, self.p).permute(0, 2, 4, 3, 5, 1).reshape(N, self.L, -1)
        t = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True) + 1e-6) ** 0.5
        loss = ((pred.float() - t) ** 2).mean(-1)
        return (loss * mask).sum() / mask.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--warmup-iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = MAE()
    opt = torch.optim.AdamW(model.parameters(), lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)
    x = torch.rand(a.batch, 1, 28, 28)
    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            loss = model(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    med = median_step_seconds(step, a.warmup_iters, a.iters)
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "precision": a.precision, "batch": a.batch,
                      "median_step_s": med, "img_per_s_median": a.batch / med, "peak_rss_mib": rss_mib()}))


if __name__ == "__main__":
    main()
