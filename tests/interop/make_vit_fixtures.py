#!/usr/bin/env python3
"""Fixtures for `ssl-import model` of the ViT family (issue 25), made once with
the real transformers and committed (CI has no Python stack):

  tests/interop/fixtures/vit-mae-tiny/  ViTMAEForPreTraining, 16x16 RGB, patch 4
  tests/interop/fixtures/vit-tiny/      ViTModel (no pooler), 12x16 RGB: not square

Run with the venv outside the repo:
  /work/venv/bin/python tests/interop/make_vit_fixtures.py [OUT_DIR]
(OUT_DIR defaults to tests/interop/fixtures). `--base DIR` instead writes one
vit-mae-base-shaped model (768/12/12/3072, patch 16, 224, decoder 512/8/16/2048)
with random weights (N(0, 0.02), transformers' initializer_range, or `--base DIR SIGMA`: at 0.2 the
12 blocks amplify float32 rounding to ~3e-3 in transformers itself, against float64) and 2 images, for
measuring the import (not committed).

Every dimension is distinct (hidden 24, 3 heads, MLP 40, decoder 20 wide with
2 heads and MLP 36) so a transposed or swapped tensor changes a shape or a
value, and every parameter is redrawn (weights and biases N(0, 0.2), layer-norm
weights 1 + 0.2 N) because transformers' own initialisation sets norms to 1/0
and biases to 0, where a map that drops or swaps them would still pass. The
position tables are the fixed sine-cosine ones (sslkit checks them, and
transformers 5.25 saves a freshly built ViTMAE with zero tables). image_mean
and image_std are not 0.5. The decoder's layers are saved under the names
published checkpoints (facebook/vit-mae-base) and ssl-export use,
decoder.decoder_layers.N; transformers 5.25's save_pretrained writes
decoder.decoder_encoder.layer.N, which sslkit accepts too (test_import_model.sh).

reference.safetensors holds the inputs and transformers' outputs:
  images             uint8 [N, H, W, 3] (what an sslkit images file holds)
  pixel_values       f32 [N, 3, H, W] (ViTImageProcessor's: x/255, then per-channel mean/std)
  last_hidden_state  f32 [N, 1+L, D] (mask_ratio 0 and noise = arange for ViTMAE: every patch, in order)
  mae_pixels         f32 [N, H, W, 3] (ViTMAE only: the logits with mask_ratio 0.75 and noise = arange,
                     so the first quarter of the patches is kept, unpatchified to sslkit's layout)
"""
import json
import os
import sys

import numpy as np
import torch
import transformers as T
from safetensors.torch import load_file, save_file
from transformers.models.vit_mae.modeling_vit_mae import build_2d_sinusoidal_position_embedding

MEAN, STD = [0.31, 0.42, 0.53], [0.21, 0.26, 0.32]


def sincos(dim, gh, gw):
    # ViTMAE's table ([sin_w|cos_w|sin_h|cos_h], class token row 0), for any grid.
    p = build_2d_sinusoidal_position_embedding(height=gh, width=gw, embed_dim=dim, cls_token=True)
    half = p.shape[-1] // 2
    return torch.cat([p[..., half:], p[..., :half]], dim=-1).unsqueeze(0)


def randomise(model, gen, fixed, sigma=0.2):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in fixed:
                p.copy_(fixed[name])
            elif "layernorm" in name.lower() or "norm" in name.split(".")[-2].lower():
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(sigma * torch.randn(p.shape, generator=gen))


def processor(h, w):
    return T.ViTImageProcessor(do_resize=False, size={"height": h, "width": w}, do_rescale=True,
                               rescale_factor=1 / 255, do_normalize=True, image_mean=MEAN, image_std=STD)


def images(gen, n, h, w):
    return torch.randint(0, 256, (n, h, w, 3), generator=gen, dtype=torch.uint8)


def published_names(d):
    path = os.path.join(d, "model.safetensors")
    sd = load_file(path)
    sd = {k.replace("decoder.decoder_encoder.layer.", "decoder.decoder_layers."): v for k, v in sd.items()}
    save_file(sd, path, metadata={"format": "pt"})


def vit_mae(out, gen, hidden=24, layers=2, heads=3, mlp=40, size=16, patch=4, dec=(20, 2, 2, 36), n=2, eps=1e-12,
            sigma=0.2):
    cfg = T.ViTMAEConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                         intermediate_size=mlp, image_size=size, patch_size=patch, num_channels=3,
                         decoder_hidden_size=dec[0], decoder_num_hidden_layers=dec[1],
                         decoder_num_attention_heads=dec[2], decoder_intermediate_size=dec[3],
                         layer_norm_eps=eps, mask_ratio=0.75, norm_pix_loss=False, qkv_bias=True,
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = T.ViTMAEForPreTraining(cfg).eval()
    g = size // patch
    randomise(model, gen, {"vit.embeddings.position_embeddings": sincos(hidden, g, g),
                           "decoder.decoder_pos_embed": sincos(dec[0], g, g)}, sigma)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    published_names(out)
    proc = processor(size, size)
    proc.save_pretrained(out)
    imgs = images(gen, n, size, size)
    pix = proc(list(imgs.numpy()), return_tensors="pt")["pixel_values"]
    L = g * g
    noise = torch.arange(L, dtype=torch.float32).expand(n, L)
    with torch.no_grad():
        model.config.mask_ratio = 0.0
        model.vit.config.mask_ratio = 0.0
        hidden_all = model.vit(pix, noise=noise).last_hidden_state
        model.config.mask_ratio = 0.75
        model.vit.config.mask_ratio = 0.75
        logits = model(pix, noise=noise).logits  # [n, L, p*p*3], patch rows (p, q, c)
    rec = logits.reshape(n, g, g, patch, patch, 3).permute(0, 1, 3, 2, 4, 5).reshape(n, size, size, 3)
    return {"images": imgs, "pixel_values": pix.float(), "last_hidden_state": hidden_all.float(),
            "mae_pixels": rec.float().contiguous()}


def vit(out, gen, n=2):
    h, w, patch, hidden = 12, 16, 4, 24
    cfg = T.ViTConfig(hidden_size=hidden, num_hidden_layers=2, num_attention_heads=3, intermediate_size=40,
                      image_size=[h, w], patch_size=patch, num_channels=3, layer_norm_eps=1e-6, qkv_bias=True,
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = T.ViTModel(cfg, add_pooling_layer=False).eval()
    randomise(model, gen, {"embeddings.position_embeddings": sincos(hidden, h // patch, w // patch)})
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    proc = processor(h, w)
    proc.save_pretrained(out)
    imgs = images(gen, n, h, w)
    pix = proc(list(imgs.numpy()), return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        hidden_all = model(pix).last_hidden_state
    return {"images": imgs, "pixel_values": pix.float(), "last_hidden_state": hidden_all.float()}


def main():
    args = sys.argv[1:]
    gen = torch.Generator().manual_seed(25)
    if args[:1] == ["--base"]:
        out = args[1]
        ref = vit_mae(out, gen, hidden=768, layers=12, heads=12, mlp=3072, size=224, patch=16, dec=(512, 8, 16, 2048),
                      sigma=float(args[2]) if len(args) > 2 else 0.02)
        save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(out, "reference.safetensors"))
        return
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    for name, make in [("vit-mae-tiny", vit_mae), ("vit-tiny", vit)]:
        d = os.path.join(root, name)
        ref = make(d, gen)
        save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, "reference.safetensors"))
        print(name, {k: list(v.shape) for k, v in ref.items()}, sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)), "bytes")


if __name__ == "__main__":
    main()
