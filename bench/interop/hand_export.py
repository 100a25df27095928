#!/usr/bin/env python3
"""Export an sslkit model file by hand, in Python, with the name maps of interop.md section 2.2.

This is the reference the C++ exporter (ssl-export) is checked against, and the way the maps themselves are
checked before ssl-export exists: the directory it writes has the layout ssl-export writes, so
check_export.py loads it in the target library and compares with ssl-embed.

  hand_export.py MODEL.h5 --to torchvision|convnet|timm|hf -o DIR

Needs numpy, h5py and safetensors (no torch).
"""
import argparse, json, os, sys

import h5py
import numpy as np
from safetensors.numpy import save_file

CONVNET_CONV = [0, 3, 7, 10, 14]  # conv{i} -> features.N; bn{i} -> N+1 (ReLUs and max-pools take the rest)


def read_model(path):
    with h5py.File(path, "r") as f:
        config = json.loads(f["config"][()][0] if f["config"].shape else f["config"][()])
        params, buffers = {}, {}
        for group, out in (("params", params), ("buffers", buffers)):
            if group in f:
                f[group].visititems(lambda n, o: out.__setitem__(n, np.asarray(o[()], np.float32))
                                    if isinstance(o, h5py.Dataset) else None)
    return config, params, buffers


def strip(prefix, d):
    return {k[len(prefix):]: v for k, v in d.items() if k.startswith(prefix)}


def sincos_2d(dim, gh, gw):
    """MAE's get_2d_sincos_pos_embed: [gh*gw, dim]; the column index fills the first half."""
    def one(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    cols, rows = np.meshgrid(np.arange(gw, dtype=np.float64), np.arange(gh, dtype=np.float64))
    return np.concatenate([one(dim // 2, cols), one(dim // 2, rows)], axis=1).astype(np.float32)


def pos_table(dim, gh, gw):
    """[1, 1+L, dim]: the class token's zero row, then the grid."""
    return np.concatenate([np.zeros((1, dim), np.float32), sincos_2d(dim, gh, gw)])[None]


def to_torchvision(config, params, buffers):
    sd = {**strip("encoder.", params), **strip("encoder.", buffers)}
    for k in [k for k in sd if k.endswith(".running_mean")]:
        sd[k[:-len("running_mean")] + "num_batches_tracked"] = np.array(0, np.int64)
    return sd, None


def to_convnet(config, params, buffers):
    enc = {**strip("encoder.", params), **strip("encoder.", buffers)}
    sd = {}
    for k, v in enc.items():
        layer, rest = k.split(".", 1)
        i = int(layer[len("conv"):] if layer.startswith("conv") else layer[len("bn"):])
        n = CONVNET_CONV[i] + (0 if layer.startswith("conv") else 1)
        sd[f"features.{n}.{rest}"] = v
        if rest == "running_mean":
            sd[f"features.{n}.num_batches_tracked"] = np.array(0, np.int64)
    return sd, None


def vit_geometry(config):
    enc = config["encoder"]
    H, W = config["input_shape"][:2]
    p = enc.get("patch", config.get("patch", 4))
    return enc, H, W, p


def to_timm(config, params, buffers):
    enc, H, W, p = vit_geometry(config)
    e = strip("encoder.", params)
    D = enc["width"]
    sd = {"patch_embed.proj.weight": e["patch_embed.weight"], "patch_embed.proj.bias": e["patch_embed.bias"],
          "cls_token": e["cls_token"].reshape(1, 1, D), "pos_embed": pos_table(D, H // p, W // p),
          "norm.weight": e["norm.weight"], "norm.bias": e["norm.bias"]}
    for i in range(enc["depth"]):
        b, t = f"block{i}.", f"blocks.{i}."
        for wb in ("weight", "bias"):
            sd[t + "attn.qkv." + wb] = np.concatenate([e[b + f"attn.{x}.{wb}"] for x in "qkv"])
            for s, d in (("ln1", "norm1"), ("attn.out", "attn.proj"), ("ln2", "norm2"), ("fc1", "mlp.fc1"),
                         ("fc2", "mlp.fc2")):
                sd[f"{t}{d}.{wb}"] = e[f"{b}{s}.{wb}"]
    cfg = {"architecture": "vit_tiny_patch16_224", "num_classes": 0,
           "model_args": {"img_size": [H, W], "patch_size": p, "in_chans": config["in_channels"], "embed_dim": D,
                          "depth": enc["depth"], "num_heads": enc["heads"], "mlp_ratio": enc["mlp"] / D,
                          "qkv_bias": True, "global_pool": "token" if config.get("pool", "cls") == "cls" else "avg",
                          "fc_norm": False, "class_token": True},
           "pretrained_cfg": {"mean": [config["normalize"]["mean"]] * config["in_channels"],
                              "std": [config["normalize"]["std"]] * config["in_channels"],
                              "input_size": [config["in_channels"], H, W]}}
    return sd, cfg


def vit_hf_encoder(e, enc, H, W, p, prefix=""):
    D = enc["width"]
    sd = {prefix + "embeddings.patch_embeddings.projection.weight": e["patch_embed.weight"],
          prefix + "embeddings.patch_embeddings.projection.bias": e["patch_embed.bias"],
          prefix + "embeddings.cls_token": e["cls_token"].reshape(1, 1, D),
          prefix + "embeddings.position_embeddings": pos_table(D, H // p, W // p),
          prefix + "layernorm.weight": e["norm.weight"], prefix + "layernorm.bias": e["norm.bias"]}
    for i in range(enc["depth"]):
        sd.update(hf_block(e, f"block{i}.", f"{prefix}encoder.layer.{i}."))
    return sd


def hf_block(e, b, t):
    out = {}
    for wb in ("weight", "bias"):
        for s, d in (("ln1", "layernorm_before"), ("attn.q", "attention.attention.query"),
                     ("attn.k", "attention.attention.key"), ("attn.v", "attention.attention.value"),
                     ("attn.out", "attention.output.dense"), ("ln2", "layernorm_after"),
                     ("fc1", "intermediate.dense"), ("fc2", "output.dense")):
            out[f"{t}{d}.{wb}"] = e[f"{b}{s}.{wb}"]
    return out


def to_hf(config, params, buffers):
    enc, H, W, p = vit_geometry(config)
    e = strip("encoder.", params)
    D = enc["width"]
    cfg = {"hidden_size": D, "num_hidden_layers": enc["depth"], "num_attention_heads": enc["heads"],
           "intermediate_size": enc["mlp"], "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
           "attention_probs_dropout_prob": 0.0, "layer_norm_eps": enc.get("eps", 1e-5), "image_size": H,
           "patch_size": p, "num_channels": config["in_channels"], "qkv_bias": True}
    if config["method"] != "mae":
        cfg.update(model_type="vit", architectures=["ViTModel"])
        return vit_hf_encoder(e, enc, H, W, p), cfg
    sd = vit_hf_encoder(e, enc, H, W, p, "vit.")
    E = params["decoder_embed.weight"].shape[0]
    depth = len({k.split(".")[0] for k in params if k.startswith("decoder_block")})
    sd.update({"decoder.decoder_embed.weight": params["decoder_embed.weight"],
               "decoder.decoder_embed.bias": params["decoder_embed.bias"],
               "decoder.mask_token": params["mask_token"].reshape(1, 1, E),
               "decoder.decoder_pos_embed": pos_table(E, H // p, W // p),
               "decoder.decoder_norm.weight": params["decoder_norm.weight"],
               "decoder.decoder_norm.bias": params["decoder_norm.bias"],
               "decoder.decoder_pred.weight": params["decoder_pred.weight"],
               "decoder.decoder_pred.bias": params["decoder_pred.bias"]})
    for i in range(depth):
        sd.update(hf_block(params, f"decoder_block{i}.", f"decoder.decoder_layers.{i}."))
    cfg.update(model_type="vit_mae", architectures=["ViTMAEForPreTraining"], decoder_hidden_size=E,
               decoder_num_hidden_layers=depth, decoder_num_attention_heads=4, decoder_intermediate_size=4 * E,
               mask_ratio=0.75, norm_pix_loss=bool(config.get("norm_pix", True)))
    return sd, cfg


TARGETS = {"torchvision": to_torchvision, "convnet": to_convnet, "timm": to_timm, "hf": to_hf}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--to", required=True, choices=sorted(TARGETS))
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    config, params, buffers = read_model(a.model)
    sd, cfg = TARGETS[a.to](config, params, buffers)
    os.makedirs(a.output, exist_ok=True)
    # np.ascontiguousarray makes a 0-d array 1-d: num_batches_tracked must stay a scalar (shape []).
    save_file({k: v if v.ndim == 0 else np.ascontiguousarray(v) for k, v in sd.items()},
              os.path.join(a.output, "model.safetensors"),
              metadata={"format": "pt"})
    if cfg is not None:
        with open(os.path.join(a.output, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
    if a.to == "hf":
        C = config["in_channels"]
        H, W = config["input_shape"][:2]
        with open(os.path.join(a.output, "preprocessor_config.json"), "w") as f:
            json.dump({"image_processor_type": "ViTImageProcessor", "do_rescale": True, "rescale_factor": 1 / 255,
                       "do_normalize": True, "image_mean": [config["normalize"]["mean"]] * C,
                       "image_std": [config["normalize"]["std"]] * C, "do_resize": False,
                       "size": {"height": H, "width": W}}, f, indent=1)
    print(f"{a.output}: {len(sd)} tensors for {a.to}")


if __name__ == "__main__":
    sys.exit(main())
