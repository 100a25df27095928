#!/usr/bin/env python3
"""Do an exported sslkit encoder and ssl-embed give the same features?

  check_export.py EXPORT_DIR MODEL.h5 DATA.h5 [--target auto|torchvision|convnet|timm|hf]
                  [--embed PATH/TO/ssl-embed] [--atol 1e-4] [--rtol 1e-4] [--threads 2]

Loads EXPORT_DIR in the library it was written for, runs the samples of DATA.h5 (SSL-HDF5 images, or text
or audio for hf) through it in f32, images normalised as MODEL.h5's /config says ((x/255 - mean)/std, NCHW),
runs `ssl-embed MODEL.h5 DATA.h5 --precision f32` on the same file, and prints one line per comparison:

  target=timm pool=cls n=120 dim=128 max_abs=1.2e-06 max_rel=3.4e-05 min_cos=0.99999994 ok

A ViT is compared with both poolings (cls and mean of the normed patch tokens; ssl-embed --pool), and timm's
own forward with the pooling its config.json says; the pooling MODEL.h5's /config trains with is marked
`(config)`. The export's normalisation (preprocessor_config.json, timm's pretrained_cfg), HF's
layer_norm_eps and timm's global_pool must be the model's too. Exit 0 when every comparison is within
|a-b| <= atol + rtol*|b| elementwise, 1 when one is not, 2 when the directory does not load (a missing or
unexpected key is a failure, never ignored).

Targets (interop.md section 2):
  torchvision  model.safetensors for torchvision.models.resnet18 with the CIFAR stem (3x3 conv1, stride 1,
               padding 1, no max-pool) and fc = Identity; load_state_dict(strict=True)
  convnet      model.safetensors for the nn.Sequential `features` of convnet-s/m (3x3 conv + BN + ReLU,
               max-pool after the 2nd and 4th, global average pool); widths read from the weights
  timm         config.json {architecture, model_args, pretrained_cfg} + model.safetensors:
               timm.create_model(architecture, pretrained=False, num_classes=0, **model_args,
               norm_layer=partial(nn.LayerNorm, eps=1e-5)) + load_state_dict(strict=True)
  hf           config.json + model.safetensors, loaded as the class `architectures` names with
               from_pretrained (ViTModel, ViTMAEForPreTraining, XLMRobertaXL/BertModel or ...ForMaskedLM,
               Wav2Vec2Model or ...ForPreTraining; no pooler), then its encoder (base_model_prefix):
               images   ViTMAE run with mask_ratio 0 and noise = arange so every patch is kept in grid order
               text     DATA.h5 is a text file (/tokens, /lengths): pad-id padded, attention_mask over the
                        real tokens; cls (first token) and mean over the real tokens
               audio    DATA.h5 is an audio file (/audio, /lengths): each clip standardised over its real
                        samples, zero-padded, sample-level attention_mask; mean over the real frames
"""
import argparse, json, os, subprocess, sys, tempfile
from functools import partial

import h5py
import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EMBED = os.path.join(HERE, "..", "..", "build", "ssl-embed")


class LoadError(Exception):
    pass


def model_config(path):
    with h5py.File(path, "r") as f:
        c = f["config"][()]
    return json.loads(c[0] if isinstance(c, np.ndarray) else c)


def read_json(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def detect_target(d):
    cfg = read_json(d, "config.json")
    if cfg is not None and "model_type" in cfg:
        return "hf"
    if cfg is not None and "architecture" in cfg:
        return "timm"
    keys = load_file(os.path.join(d, "model.safetensors")).keys()
    if "features.0.weight" in keys:
        return "convnet"
    if "conv1.weight" in keys and "layer1.0.conv1.weight" in keys:
        return "torchvision"
    raise LoadError(f"{d}: cannot tell the target (no config.json with model_type or architecture, "
                    "no features.0 or conv1 weights); pass --target")


def strict_load(module, sd, d):
    r = module.load_state_dict(sd, strict=False)
    if r.missing_keys or r.unexpected_keys:
        raise LoadError(f"{d}: missing keys {r.missing_keys[:8]}, unexpected keys {r.unexpected_keys[:8]}")


def load_torchvision(d, cfg, C):
    import torchvision
    m = torchvision.models.resnet18()
    m.conv1 = nn.Conv2d(C, 64, 3, stride=1, padding=1, bias=False)
    m.maxpool = nn.Identity()
    m.fc = nn.Identity()
    strict_load(m, load_file(os.path.join(d, "model.safetensors")), d)
    return m


def load_convnet(d, cfg, C):
    sd = load_file(os.path.join(d, "model.safetensors"))
    w = [sd[f"features.{n}.weight"].shape[0] for n in (0, 3, 7, 10, 14)]

    def cbr(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    m = nn.Sequential()
    m.features = nn.Sequential(*cbr(C, w[0]), *cbr(w[0], w[1]), nn.MaxPool2d(2), *cbr(w[1], w[2]),
                               *cbr(w[2], w[3]), nn.MaxPool2d(2), *cbr(w[3], w[4]), nn.AdaptiveAvgPool2d(1),
                               nn.Flatten())
    strict_load(m, sd, d)
    return m.features


def load_timm(d, cfg, C):
    import timm
    tc = read_json(d, "config.json")
    args = {"num_classes": 0, **tc["model_args"]}  # an export may say num_classes itself
    m = timm.create_model(tc["architecture"], pretrained=False, **args, norm_layer=partial(nn.LayerNorm, eps=1e-5))
    strict_load(m, load_file(os.path.join(d, "model.safetensors")), d)
    return m


HF_NO_POOLER = ("ViTModel", "BertModel", "XLMRobertaXLModel")  # sslkit has no dense+tanh pooler
HF_MODALITY = {"vit": "images", "vit_mae": "images", "bert": "text", "xlm-roberta-xl": "text", "wav2vec2": "audio"}


def load_hf(d, cfg, C):
    """The class config.json names (strictly: no missing, unexpected or mismatched key), then its encoder."""
    import transformers
    hc = read_json(d, "config.json")
    if hc.get("model_type") not in HF_MODALITY:
        raise LoadError(f"model_type {hc.get('model_type')!r} is not one this check knows")
    arch = (hc.get("architectures") or [""])[0]
    cls = getattr(transformers, arch, None)
    if cls is None:
        raise LoadError(f"architectures {arch!r} is not a transformers class")
    kwargs = {"add_pooling_layer": False} if arch in HF_NO_POOLER else {}
    m, info = cls.from_pretrained(d, output_loading_info=True, **kwargs)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        raise LoadError(f"from_pretrained({arch}) reports {bad}")
    return getattr(m, m.base_model_prefix, m)


LOADERS = {"torchvision": load_torchvision, "convnet": load_convnet, "timm": load_timm, "hf": load_hf}


def images_nchw(data, cfg):
    with h5py.File(data, "r") as f:
        x = f["images"][()]
    if x.ndim == 3:
        x = x[..., None]
    mean, std = cfg["normalize"]["mean"], cfg["normalize"]["std"]
    x = (x.astype(np.float32) / 255.0 - np.float32(mean)) / np.float32(std)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def vit_tokens(target, m, x):
    """[N, 1+L, D] after the final norm, patches in grid order."""
    if target == "timm":
        return m.forward_features(x)
    if m.config.model_type == "vit":
        return m(pixel_values=x).last_hidden_state
    n, L = x.shape[0], (x.shape[2] // m.config.patch_size) * (x.shape[3] // m.config.patch_size)
    m.config.mask_ratio = 0.0
    m.embeddings.config.mask_ratio = 0.0
    noise = torch.arange(L, dtype=torch.float32).expand(n, L)
    out = m(pixel_values=x, noise=noise)
    ids = out.ids_restore
    if not torch.equal(ids, torch.arange(L).expand(n, L)):
        raise LoadError("ViTMAE did not keep the patches in grid order with noise=arange, mask_ratio=0")
    return out.last_hidden_state


def text_features(m, data):
    """Token ids padded with the pad id (RoBERTa counts positions from it), the real tokens attended;
    cls = the first token, mean = over the real tokens (ssl-embed's default for text)."""
    with h5py.File(data, "r") as f:
        ids, lengths = torch.from_numpy(f["tokens"][()].astype(np.int64)), torch.from_numpy(f["lengths"][()])
    mask = (torch.arange(ids.shape[1])[None] < lengths[:, None].long()).long()
    pad = m.config.pad_token_id if m.config.pad_token_id is not None else 0
    h = m(input_ids=torch.where(mask.bool(), ids, pad), attention_mask=mask).last_hidden_state
    mean = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    return {"cls": h[:, 0].numpy(), "mean": mean.numpy()}


def audio_features(m, data):
    """Each clip standardised over its real samples (HF's do_normalize, +1e-7), zero-padded, with a sample-level
    attention_mask (sslkit's first group norm counts padded frames as HF's does only then); the mean of the
    context over the real frames, as ssl-embed's."""
    with h5py.File(data, "r") as f:
        wav, lengths = f["audio"][()].astype(np.float32), f["lengths"][()]
    x = np.zeros_like(wav)
    for i, n in enumerate(lengths):
        c = wav[i, :n]
        x[i, :n] = (c - c.mean()) / np.sqrt(c.var() + 1e-7)
    mask = torch.from_numpy((np.arange(wav.shape[1])[None] < lengths[:, None]).astype(np.int64))
    h = m(input_values=torch.from_numpy(x), attention_mask=mask).last_hidden_state
    frames = m._get_feat_extract_output_lengths(torch.from_numpy(lengths.astype(np.int64)))
    fmask = (torch.arange(h.shape[1])[None] < frames[:, None]).float()
    return {"mean": ((h * fmask[..., None]).sum(1) / fmask.sum(1, keepdim=True)).numpy()}


def run_embed(embed, model, data, pool, threads, tmp):
    out = os.path.join(tmp, f"emb-{pool or 'default'}.h5")
    cmd = [embed, model, data, "-o", out, "--precision", "f32", "--threads", str(threads), "-q"]
    if pool:
        cmd += ["--pool", pool]
    subprocess.run(cmd, check=True)
    with h5py.File(out, "r") as f:
        return f["embeddings"][()].astype(np.float32)


def compare(label, got, ref, atol, rtol):
    got = got.reshape(ref.shape) if got.size == ref.size else got
    if got.shape != ref.shape:
        print(f"{label} shape {tuple(got.shape)} vs ssl-embed {tuple(ref.shape)} FAIL")
        return False
    diff = np.abs(got - ref)
    cos = (got * ref).sum(1) / np.maximum(np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1), 1e-30)
    ok = bool(np.all(diff <= atol + rtol * np.abs(ref)))
    print(f"{label} n={ref.shape[0]} dim={ref.shape[1]} max_abs={diff.max():.3g} "
          f"max_rel={(diff / np.maximum(np.abs(ref), 1e-6)).max():.3g} max_ref={np.abs(ref).max():.3g} "
          f"min_cos={cos.min():.9f} {'ok' if ok else 'FAIL'}")
    return ok


def check_preprocessor(d, cfg, C):
    """The exported normalisation must be the model's: one figure per channel."""
    want_mean, want_std = [cfg["normalize"]["mean"]] * C, [cfg["normalize"]["std"]] * C
    found = []
    pp = read_json(d, "preprocessor_config.json")
    if pp is not None:
        found.append(("preprocessor_config.json", pp.get("image_mean"), pp.get("image_std")))
    tc = read_json(d, "config.json")
    if tc is not None and "pretrained_cfg" in tc:
        found.append(("config.json pretrained_cfg", tc["pretrained_cfg"].get("mean"), tc["pretrained_cfg"].get("std")))
    ok = True
    for where, mean, std in found:
        good = (mean is not None and std is not None and np.allclose(mean, want_mean, rtol=1e-6)
                and np.allclose(std, want_std, rtol=1e-6))
        print(f"normalisation {where}: mean={mean} std={std} model={want_mean},{want_std} {'ok' if good else 'FAIL'}")
        ok &= good
    return ok


def check_config(d, target, cfg):
    """What a 1e-4 gate on features cannot see: a LayerNorm eps of 1e-12 instead of 1e-5 moves ViT features by
    about 2e-5 (measured, negative_controls.sh), and a timm pooling that is not the model's still loads."""
    ok = True
    if target == "hf":
        eps, want = read_json(d, "config.json").get("layer_norm_eps"), cfg.get("encoder", {}).get("eps", 1e-5)
        good = eps is not None and abs(eps - want) <= 1e-9 * want
        print(f"config.json layer_norm_eps={eps} model eps={want} {'ok' if good else 'FAIL'}")
        ok &= good
    if target == "timm":
        args = read_json(d, "config.json")["model_args"]
        want = {"cls": "token", "mean": "avg"}[cfg.get("pool", "cls")]
        good = args.get("global_pool") == want and not args.get("fc_norm", False)
        print(f"config.json global_pool={args.get('global_pool')} fc_norm={args.get('fc_norm')} "
              f"model pool={cfg.get('pool', 'cls')} (wants {want}, fc_norm false) {'ok' if good else 'FAIL'}")
        ok &= good
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export_dir")
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--target", default="auto", choices=["auto"] + sorted(LOADERS))
    ap.add_argument("--embed", default=DEFAULT_EMBED, help="the ssl-embed to compare with")
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = model_config(a.model)
    C = cfg.get("in_channels", 1)
    try:
        target = detect_target(a.export_dir) if a.target == "auto" else a.target
        m = LOADERS[target](a.export_dir, cfg, C).eval()
    except (LoadError, KeyError, RuntimeError, OSError, ValueError) as e:
        print(f"check_export: error: {a.export_dir}: does not load: {e}", file=sys.stderr)
        return 2
    modality = HF_MODALITY[m.config.model_type] if target == "hf" else "images"
    ok = check_config(a.export_dir, target, cfg)
    name = f"target={target} arch={cfg['arch']} method={cfg['method']}"
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        if modality == "text":
            for pool, feats in text_features(m, a.data).items():
                ok &= compare(f"{name} pool={pool}", feats, run_embed(a.embed, a.model, a.data, pool, a.threads, tmp),
                              a.atol, a.rtol)
            return 0 if ok else 1
        if modality == "audio":
            feats = audio_features(m, a.data)["mean"]
            ok &= compare(f"{name} pool=mean", feats, run_embed(a.embed, a.model, a.data, None, a.threads, tmp),
                          a.atol, a.rtol)
            return 0 if ok else 1
        C = cfg["in_channels"]
        x = images_nchw(a.data, cfg)
        ok &= check_preprocessor(a.export_dir, cfg, C)
        if target in ("torchvision", "convnet"):
            ok &= compare(name, m(x).numpy(), run_embed(a.embed, a.model, a.data, None, a.threads, tmp), a.atol, a.rtol)
        else:
            try:
                h = vit_tokens(target, m, x).numpy()
            except LoadError as e:
                print(f"check_export: error: {a.export_dir}: {e}", file=sys.stderr)
                return 2
            trained = cfg.get("pool", "cls")
            for pool, feats in (("cls", h[:, 0]), ("mean", h[:, 1:].mean(1))):
                ref = run_embed(a.embed, a.model, a.data, pool, a.threads, tmp)
                mark = " (config)" if pool == trained else ""
                ok &= compare(f"{name} pool={pool}{mark}", feats, ref, a.atol, a.rtol)
                if target == "timm" and m.global_pool == {"cls": "token", "mean": "avg"}[pool]:
                    ok &= compare(f"{name} forward(global_pool={m.global_pool}){mark}", m(x).numpy(), ref,
                                  a.atol, a.rtol)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
