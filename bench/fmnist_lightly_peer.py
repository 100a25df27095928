"""The lightly peer of `ssl-pretrain demo/fashion-train.h5 --time-budget 1200`: time-boxed self-supervised
pretraining on Fashion-MNIST, written the way a lightly user writes it (lightly's heads, losses, transforms and
kNN, a torch DataLoader, a plain PyTorch loop), then the frozen backbone's features for the probes.

Data: the SSL-HDF5 files sslkit trains on (/images uint8 [N,28,28,1], /labels int32, /ids), read once into
memory with h5py; each image goes to lightly's transform as a PIL image (mode L), as torchvision's
FashionMNIST dataset hands it over. Pixel normalisation: the training file's own mean and std over all pixels
(one channel), as ssl-pretrain computes it (0.2860, 0.3530).

--method, after lightly's CIFAR-10 benchmark (docs/source/getting_started/benchmarks/cifar10_benchmark.py)
and examples/pytorch/*.py, with D the backbone's width (128 convnet-s, 512 resnet18):
  simclr  SimCLRTransform, SimCLRProjectionHead(D, D, 128) (lightly's default: BatchNorm in both layers),
          NTXentLoss(temperature=--temperature, lightly's default 0.5)
  vicreg  VICRegTransform (it adds solarization, p=0.1), VICRegProjectionHead(D, 2048, 2048, num_layers=2)
          as examples/pytorch/vicreg.py, VICRegLoss() (25, 25, 1)
  byol    BYOLTransform(BYOLView1Transform, BYOLView2Transform) (view 2 solarizes with p=0.2),
          BYOLProjectionHead(D, 1024, 256), BYOLPredictionHead(256, 1024, 256), NegativeCosineSimilarity,
          symmetric; EMA target updated before each step with m from 0.99 to 1 on a cosine over the budget
          (lightly's examples/pytorch/byol.py and benchmarks/imagenet/resnet50/byol.py; the CIFAR-10 benchmark
          keeps 0.99)
  every transform: input_size=28, gaussian_blur=0.0, min_scale=--min-scale (0.2; lightly's default is
  0.08), the CIFAR benchmark's cj_strength=0.5 for SimCLR (VICReg's default is already 0.5; BYOL's views
  keep theirs), normalize={mean: [m], std: [s]}.
--arch: convnet-s (sslkit's lib/models/encoders.cpp: five 3x3 conv, no bias, + BN + ReLU, 32,32,64,64,128
  channels, 2x2 max-pool after the 2nd and 4th, global average pool -> 128; the module layout of
  shared/peer/common.py's ConvNetS, so its state_dict loads there) or resnet18 (torchvision's, CIFAR stem:
  3x3 conv stride 1, no max-pool, 1 input channel, fc removed -> 512).
--optimizer auto: lightly's benchmark recipe. simclr, byol: SGD lr 0.06 x batch/128, momentum 0.9, weight
  decay 5e-4 on every parameter, cosine to 0, no warmup (cifar10_benchmark.py). vicreg (not in the CIFAR-10
  benchmark): LARS lr 0.3 x batch/128, momentum 0.9, weight decay 1e-4, 10 % linear warmup then cosine to
  0.001 x lr (imagenette_benchmark.py's VICRegModel: "Training diverges without LARS"). --optimizer sgd or
  lars picks that recipe for any method; adamw is ssl-pretrain's default (lr 1e-3, weight decay 1e-6, 5 %
  warmup, cosine to 0); --lr (the peak, not scaled), --weight-decay and --warmup override any of them.
--time-budget: the schedule follows the wall clock, fraction = elapsed / budget, as sslkit's trainer
  (lib/train/trainer.cpp): the budget is checked before each step, everything in the loop counts (waiting for
  the DataLoader, the step, logging, the periodic kNN monitor).
Monitor: every --monitor-every steps and once at the end, kNN accuracy of the frozen backbone (eval mode,
  the training precision) on all of --test, the first 10,000 training images as the bank, with lightly's
  knn_predict on L2-normalised features: k=200, T=0.1 (monitor_knn) and k=20, T=0.07 (monitor_knn20).
  Timing as ssl-pretrain's --monitor (lib/apps/pretrain.cpp): the periodic scores run in an after-step hook
  inside the timed loop, so they count against the budget; the final score runs after the budget, outside it.
  (sslkit's bank is a seeded random choice of 10,000 training rows, not the first 10,000.)
--features-out PREFIX: the backbone's features (eval mode, fp32) of the train and test files as SSL-HDF5
  embedding files PREFIX-train.h5 and PREFIX-test.h5 (what ssl-finetune --mode linear|knn and
  bench/probe_features.py read), and PREFIX.pt: {"enc": backbone state_dict, "arch", "summary"}, the
  checkpoint shared/peer/probe_peer.py takes (it embeds the images itself; convnet-s only).
--log-json: sslkit's lines: one per step {step, loss, lr, images_per_s, wait_s, seconds} and one per monitor
  {step, seconds, loss, monitor_knn, monitor_knn20, monitor_s}; step is 0-based, as sslkit's.
  fmnist_lightly_peer.py [--method simclr|vicreg|byol] [--arch convnet-s|resnet18] [--time-budget 1200]
      [--precision fp32|bf16] [--channels-last] [--workers 2] [--monitor-every 500] [--log-json F]
      [--features-out PREFIX] [--data demo/fashion-train.h5] [--test demo/fashion-test.h5]
"""
import argparse, copy, hashlib, json, math, os, resource, shlex, statistics, sys, time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

import lightly
from lightly.loss import NegativeCosineSimilarity, NTXentLoss, VICRegLoss
from lightly.models.modules import BYOLPredictionHead, BYOLProjectionHead, SimCLRProjectionHead
from lightly.models.modules.heads import VICRegProjectionHead  # not re-exported by lightly.models.modules
from lightly.models.utils import deactivate_requires_grad, update_momentum
from lightly.transforms import (BYOLTransform, BYOLView1Transform, BYOLView2Transform, SimCLRTransform,
                                VICRegTransform)
from lightly.utils.benchmarking import knn_predict
from lightly.utils.lars import LARS
from peer_timing import cpu_name  # bench/ is on the path: this script's folder


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                f = set(line.split(":", 1)[1].split())
                return [x for x in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if x in f]
    except OSError:
        pass
    return []


# ---------------------------------------------------------------------------------------------- backbones

def cbr(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class ConvNetS(nn.Module):
    """sslkit's convnet-s: [C,28,28] -> 128."""
    out_dim = 128

    def __init__(self, in_channels=1):
        super().__init__()
        self.features = nn.Sequential(
            *cbr(in_channels, 32), *cbr(32, 32), nn.MaxPool2d(2),
            *cbr(32, 64), *cbr(64, 64), nn.MaxPool2d(2),
            *cbr(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.features(x)


def resnet18_cifar(in_channels=1):
    m = torchvision.models.resnet18()
    m.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
    m.maxpool = nn.Identity()
    m.out_dim = m.fc.in_features  # 512
    m.fc = nn.Identity()
    return m


def make_backbone(arch, in_channels):
    return ConvNetS(in_channels) if arch == "convnet-s" else resnet18_cifar(in_channels)


# ---------------------------------------------------------------------------------------------- methods

class SimCLR(nn.Module):
    def __init__(self, backbone, temperature):
        super().__init__()
        d = backbone.out_dim
        self.backbone = backbone
        self.projection_head = SimCLRProjectionHead(d, d, 128)
        self.criterion = NTXentLoss(temperature=temperature)

    def loss(self, x0, x1, fraction):
        z0 = self.projection_head(self.backbone(x0).flatten(start_dim=1))
        z1 = self.projection_head(self.backbone(x1).flatten(start_dim=1))
        return self.criterion(z0, z1)


class VICReg(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.projection_head = VICRegProjectionHead(input_dim=backbone.out_dim, hidden_dim=2048, output_dim=2048,
                                                    num_layers=2)
        self.criterion = VICRegLoss()

    def loss(self, x0, x1, fraction):
        z0 = self.projection_head(self.backbone(x0).flatten(start_dim=1))
        z1 = self.projection_head(self.backbone(x1).flatten(start_dim=1))
        return self.criterion(z0, z1)


class BYOL(nn.Module):
    def __init__(self, backbone, m0):
        super().__init__()
        self.backbone = backbone
        self.projection_head = BYOLProjectionHead(backbone.out_dim, 1024, 256)
        self.prediction_head = BYOLPredictionHead(256, 1024, 256)
        self.backbone_momentum = copy.deepcopy(self.backbone)
        self.projection_head_momentum = copy.deepcopy(self.projection_head)
        deactivate_requires_grad(self.backbone_momentum)
        deactivate_requires_grad(self.projection_head_momentum)
        self.criterion = NegativeCosineSimilarity()
        self.m0 = m0

    def forward(self, x):
        return self.prediction_head(self.projection_head(self.backbone(x).flatten(start_dim=1)))

    def forward_momentum(self, x):
        return self.projection_head_momentum(self.backbone_momentum(x).flatten(start_dim=1)).detach()

    def loss(self, x0, x1, fraction):
        # lightly's cosine_schedule(step, max_steps, m0, 1), on the wall-clock fraction
        m = 1 - (1 - self.m0) * (math.cos(math.pi * fraction) + 1) / 2
        update_momentum(self.backbone, self.backbone_momentum, m=m)
        update_momentum(self.projection_head, self.projection_head_momentum, m=m)
        p0, p1 = self(x0), self(x1)
        z0, z1 = self.forward_momentum(x0), self.forward_momentum(x1)
        return 0.5 * (self.criterion(p0, z1) + self.criterion(p1, z0))


def make_transform(method, min_scale, mean, std):
    norm = {"mean": [mean], "std": [std]}
    if method == "simclr":
        return SimCLRTransform(input_size=28, cj_strength=0.5, gaussian_blur=0.0, min_scale=min_scale, normalize=norm)
    if method == "vicreg":
        return VICRegTransform(input_size=28, gaussian_blur=0.0, min_scale=min_scale, normalize=norm)
    return BYOLTransform(
        view_1_transform=BYOLView1Transform(input_size=28, gaussian_blur=0.0, min_scale=min_scale, normalize=norm),
        view_2_transform=BYOLView2Transform(input_size=28, gaussian_blur=0.0, min_scale=min_scale, normalize=norm))


# ---------------------------------------------------------------------------------------------- data

class SSLImages(torch.utils.data.Dataset):
    """/images of an SSL-HDF5 file, in memory, as PIL images through `transform` (labels unused)."""

    def __init__(self, images, transform):
        self.x, self.transform = images, transform

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        a = self.x[i]
        return self.transform(Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a))


def read_ssl_h5(path):
    with h5py.File(path, "r") as f:
        if "images" not in f:
            raise SystemExit(f"fmnist_lightly_peer.py: {path}: no /images (an SSL-HDF5 image file?)")
        out = {"images": f["images"][:], "ids": f["ids"][:] if "ids" in f else None,
               "labels": f["labels"][:] if "labels" in f else None,
               "class_names": list(f["labels"].attrs["class_names"]) if "labels" in f and
               "class_names" in f["labels"].attrs else None,
               "history": [h.decode() if isinstance(h, bytes) else str(h) for h in f["history"][:]]
               if "history" in f else []}
    return out


def pixel_stats(images):
    x = images.reshape(-1).astype(np.float64) / 255.0
    return float(x.mean()), float(x.std())


def to_input(images, mean, std):
    """uint8 [N,H,W,C] -> normalised float [N,C,H,W]."""
    return ((torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0 - mean) / std).contiguous()


@torch.inference_mode()
def embed(backbone, images, mean, std, autocast, channels_last, batch=512):
    """The backbone's features of uint8 images [N,H,W,C], normalised a batch at a time."""
    was_training = backbone.training
    backbone.eval()  # BN running statistics, as ssl-embed and sslkit's monitor see the encoder
    out = []
    for i in range(0, images.shape[0], batch):
        xb = to_input(images[i:i + batch], mean, std)
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with autocast():
            out.append(backbone(xb).flatten(start_dim=1).float())
    backbone.train(was_training)
    return torch.cat(out)


class Monitor:
    """kNN accuracy of the frozen backbone: the test file's images against the first `bank` training images."""

    def __init__(self, train, test, mean, std, bank=10000):
        self.xb, self.xq, self.mean, self.std = train["images"][:bank], test["images"], mean, std
        self.yb = torch.from_numpy(train["labels"][:bank].astype(np.int64))
        self.yq = torch.from_numpy(test["labels"].astype(np.int64))
        self.classes = int(max(self.yb.max(), self.yq.max())) + 1

    def score(self, backbone, autocast, channels_last):
        fb = F.normalize(embed(backbone, self.xb, self.mean, self.std, autocast, channels_last), dim=1)
        fq = F.normalize(embed(backbone, self.xq, self.mean, self.std, autocast, channels_last), dim=1)
        bank = fb.t().contiguous()
        acc = {}
        for name, k, t in (("monitor_knn", 200, 0.1), ("monitor_knn20", 20, 0.07)):
            pred = torch.cat([knn_predict(fq[i:i + 1000], bank, self.yb, self.classes, knn_k=k, knn_t=t)[:, 0]
                              for i in range(0, fq.shape[0], 1000)])
            acc[name] = float((pred == self.yq).float().mean())
        return acc


def write_embeddings(path, feats, src, command, model_path, sha):
    with h5py.File(path + ".tmp", "w") as f:
        f.attrs["format"] = "sslkit"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["modality"] = "embedding"
        e = f.create_dataset("embeddings", data=feats.numpy().astype(np.float32))
        e.attrs["model"] = model_path
        e.attrs["model_sha256"] = sha
        e.attrs["layer"] = "backbone"
        e.attrs["normalized"] = np.int64(0)
        n = feats.shape[0]
        f.create_dataset("ids", data=src["ids"] if src["ids"] is not None else np.arange(n, dtype=np.int64))
        y = f.create_dataset("labels", data=(src["labels"] if src["labels"] is not None
                                             else np.full(n, -1)).astype(np.int32))
        if src["class_names"] is not None:
            y.attrs["class_names"] = [c.decode() if isinstance(c, bytes) else str(c) for c in src["class_names"]]
        f.create_dataset("history", data=src["history"] + [command], dtype=h5py.string_dtype())
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------------------------------------- training

# lightly's recipes: lr per 128 images (adamw: flat), weight decay, warmup fraction, final lr / peak
OPTIMIZERS = {"sgd": (0.06, 5e-4, 0.0, 0.0), "lars": (0.3, 1e-4, 0.1, 0.001), "adamw": (None, 1e-6, 0.05, 0.0)}
DEFAULT_OPTIMIZER = {"simclr": "sgd", "byol": "sgd", "vicreg": "lars"}


def lr_factor(fraction, warmup, final):
    f = min(max(fraction, 0.0), 1.0)
    if warmup > 0 and f < warmup:
        return f / warmup
    t = (f - warmup) / (1 - warmup) if warmup < 1 else 1.0
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * t))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    demo = os.path.join(here, "..", "demo")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(demo, "fashion-train.h5"))
    ap.add_argument("--test", default=os.path.join(demo, "fashion-test.h5"))
    ap.add_argument("--method", choices=["simclr", "vicreg", "byol"], default="simclr")
    ap.add_argument("--arch", choices=["convnet-s", "resnet18"], default="convnet-s")
    ap.add_argument("--time-budget", type=float, default=1200)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--optimizer", choices=["auto", "sgd", "lars", "adamw"], default="auto")
    ap.add_argument("--lr", type=float, help="peak lr (default: the recipe's, scaled by batch/128)")
    ap.add_argument("--weight-decay", type=float)
    ap.add_argument("--warmup", type=float, help="linear warmup, a fraction of the budget (default: the recipe's)")
    ap.add_argument("--temperature", type=float, default=0.5, help="simclr: NTXentLoss temperature (lightly's 0.5)")
    ap.add_argument("--byol-momentum", type=float, default=0.99, help="byol: EMA momentum at the start (-> 1)")
    ap.add_argument("--min-scale", type=float, default=0.2)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (0: in the main process)")
    ap.add_argument("--monitor-every", type=int, default=500, help="steps between kNN scores (0: only at the end)")
    ap.add_argument("--no-monitor", action="store_true")
    ap.add_argument("--log-json")
    ap.add_argument("--features-out", metavar="PREFIX")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    command = "fmnist_lightly_peer.py " + " ".join(shlex.quote(s) for s in sys.argv[1:])

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    bf16 = a.precision == "bf16"
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    print(json.dumps({"peer": f"lightly-{lightly.__version__} torch-{torch.__version__} "
                              f"torchvision-{torchvision.__version__}", "cpu": cpu_name(), "cpu_flags": cpu_flags(),
                      "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "mkldnn_bf16": torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                      "precision": a.precision, "bf16_autocast": bf16, "channels_last": a.channels_last,
                      "threads": torch.get_num_threads(), "workers": a.workers}), flush=True)

    train = read_ssl_h5(a.data)
    test = read_ssl_h5(a.test) if not a.no_monitor or a.features_out else None
    mean, std = pixel_stats(train["images"])
    in_ch = train["images"].shape[3]
    backbone = make_backbone(a.arch, in_ch)
    model = (SimCLR(backbone, a.temperature) if a.method == "simclr" else VICReg(backbone) if a.method == "vicreg"
             else BYOL(backbone, a.byol_momentum))
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)

    opt_name = DEFAULT_OPTIMIZER[a.method] if a.optimizer == "auto" else a.optimizer
    lr128, wd, warmup, final = OPTIMIZERS[opt_name]
    lr = a.lr if a.lr is not None else (1e-3 if lr128 is None else lr128 * a.batch / 128)
    wd = a.weight_decay if a.weight_decay is not None else wd
    warmup = a.warmup if a.warmup is not None else warmup
    params = [p for p in model.parameters() if p.requires_grad]
    if opt_name == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    elif opt_name == "lars":
        opt = LARS(params, lr=lr, momentum=0.9, weight_decay=wd)
    else:
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)

    transform = make_transform(a.method, a.min_scale, mean, std)
    g = torch.Generator()
    g.manual_seed(a.seed)
    loader = torch.utils.data.DataLoader(SSLImages(train["images"], transform), batch_size=a.batch, shuffle=True,
                                         drop_last=True, num_workers=a.workers, persistent_workers=a.workers > 0,
                                         generator=g)
    monitor = None if a.no_monitor else Monitor(train, test, mean, std)
    config = {"method": a.method, "arch": a.arch, "batch": a.batch, "time_budget": a.time_budget,
              "optimizer": opt_name, "lr": lr, "weight_decay": wd, "warmup": warmup, "final_lr_fraction": final,
              "min_scale": a.min_scale, "normalize": [round(mean, 4), round(std, 4)], "seed": a.seed,
              "temperature": a.temperature if a.method == "simclr" else None,
              "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
              "transform": repr(transform.transforms[0].transform if hasattr(transform.transforms[0], "transform")
                                else transform.transforms[0])}
    print(json.dumps(config), flush=True)
    log = open(a.log_json, "a") if a.log_json else None
    steps_per_epoch = len(loader)

    def score(step, seconds, loss):
        t = time.perf_counter()
        acc = monitor.score(model.backbone, autocast, a.channels_last)
        line = {"step": step, "seconds": round(seconds, 3), "loss": loss, **acc,
                "monitor_s": round(time.perf_counter() - t, 2)}
        print(json.dumps(line), flush=True)
        if log:
            log.write(json.dumps(line) + "\n")
            log.flush()
        return line

    model.train()
    step, loss_v, step_s, waits, monitors = 0, float("nan"), [], 0.0, []
    t0 = time.perf_counter()
    it = iter(loader)  # the workers start inside the budget
    while True:
        spent = time.perf_counter() - t0
        if spent >= a.time_budget:
            break
        fraction = min(1.0, spent / a.time_budget)
        cur_lr = lr * lr_factor(fraction, warmup, final)
        for grp in opt.param_groups:
            grp["lr"] = cur_lr
        ts = time.perf_counter()
        try:
            x0, x1 = next(it)
        except StopIteration:
            it = iter(loader)
            x0, x1 = next(it)
        wait = time.perf_counter() - ts
        if a.channels_last:
            x0, x1 = (v.contiguous(memory_format=torch.channels_last) for v in (x0, x1))
        with autocast():
            loss = model.loss(x0, x1, fraction)
        loss_v = loss.item()
        if not math.isfinite(loss_v):
            raise SystemExit(f"fmnist_lightly_peer.py: loss is {loss_v} at step {step}; try a lower --lr")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - ts
        step_s.append(dt)
        waits += wait
        seconds = time.perf_counter() - t0
        if log:
            log.write(json.dumps({"step": step, "loss": loss_v, "lr": cur_lr, "images_per_s": a.batch / dt,
                                  "wait_s": wait, "seconds": seconds}) + "\n")
        if step % 100 == 0:
            print(json.dumps({"step": step, "epoch": round(step / steps_per_epoch, 3), "seconds": round(seconds, 1),
                              "loss": round(loss_v, 4), "lr": round(cur_lr, 5),
                              "img_per_s": round((step + 1) * a.batch / seconds, 1)}), flush=True)
        # sslkit's after-step hook: inside the loop, so it counts against the budget
        if monitor and a.monitor_every > 0 and (step + 1) % a.monitor_every == 0:
            monitors.append(score(step, seconds, loss_v))
        step += 1
    train_s = time.perf_counter() - t0
    del it, loader  # stops the workers (persistent ones live as long as the loader)
    # as sslkit: the final score after the budget, outside it
    if monitor and step > 0 and (not monitors or monitors[-1]["step"] != step - 1):
        monitors.append(score(step - 1, train_s, loss_v))

    summary = {"done": True, "method": a.method, "arch": a.arch, "precision": a.precision,
               "channels_last": a.channels_last, "steps": step, "epochs": round(step / steps_per_epoch, 3),
               "train_s": round(train_s, 2), "img_per_s": round(step * a.batch / train_s, 1),
               "step_img_per_s_median": round(a.batch / statistics.median(step_s), 1) if step_s else None,
               "wait_fraction": round(waits / max(1e-9, sum(step_s)), 4), "final_loss": loss_v,
               "monitor_knn": monitors[-1]["monitor_knn"] if monitors else None,
               "monitor_knn20": monitors[-1]["monitor_knn20"] if monitors else None,
               "monitor_s_total": round(sum(m["monitor_s"] for m in monitors), 1),
               "optimizer": opt_name, "lr": lr, "batch": a.batch, "workers": a.workers,
               "threads": torch.get_num_threads(), "peer": f"lightly-{lightly.__version__} torch-{torch.__version__}",
               "cpu": cpu_name()}
    summary["peak_rss_mib_training"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if a.features_out:
        t = time.perf_counter()
        pt = a.features_out + ".pt"
        torch.save({"enc": model.backbone.state_dict(), "arch": a.arch, "normalize": [mean, std],
                    "summary": summary}, pt)
        sha = hashlib.sha256(open(pt, "rb").read()).hexdigest()
        fp32 = lambda: torch.autocast("cpu", enabled=False)
        for name, src in (("train", train), ("test", test)):
            feats = embed(model.backbone, src["images"], mean, std, fp32, a.channels_last)
            write_embeddings(f"{a.features_out}-{name}.h5", feats, src, command, pt, sha)
        summary["features"] = [f"{a.features_out}-train.h5", f"{a.features_out}-test.h5", pt]
        summary["features_s"] = round(time.perf_counter() - t, 1)
    summary["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary["workers_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    print(json.dumps(summary), flush=True)
    if log:
        log.close()


if __name__ == "__main__":
    main()
