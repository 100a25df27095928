#!/usr/bin/env python3
"""Tiny wav2vec 2.0 checkpoints and their outputs, for ssl-import model's tests.

Run once with the interop venv (torch, transformers), from the repository root:
    /work/venv/bin/python tests/interop/make_w2v_fixtures.py
It writes tests/interop/w2v/<variant>/ (config.json, model.safetensors,
preprocessor_config.json as save_pretrained writes them, and
reference.safetensors) for each variant below. The fixtures are committed: CI
reads them in C++ and needs no Python.

Every dimension is distinct and awkward (conv layers of different widths,
kernels and strides; hidden 24 in 3 heads; intermediate 40, not 4x; an even
position kernel 8 in 4 groups) so that a transposed or misplaced tensor
changes a shape or a value, and every parameter is re-randomised, the layer
norms' weights at 1 + 0.2 N and every bias too, so that a map dropping an
affine parameter or a bias cannot pass by the library's 1/0 initialisation.

reference.safetensors holds:
  waveform           [B, T] the raw clips (equal lengths: no padding)
  input_values       [B, T] what Wav2Vec2FeatureExtractor (do_normalize) makes of them
  extract_features   [B, F, C] Wav2Vec2Model's, after the feature projection's layer norm
  last_hidden_state  [B, F, D]
and for Wav2Vec2ForPreTraining (eval mode: the quantizer takes the argmax):
  projected_states            [B, F, P] project_hid of the context
  projected_quantized_states  [B, F, P] project_q of the argmax codevectors
  codes                       [B, F, G] the index picked in each group (as f32)
  code_margins                [B, F, G] its logit's lead over the second best (near ties: rounding decides)
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForPreTraining, Wav2Vec2Model

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "w2v")

COMMON = dict(
    hidden_size=24,
    num_hidden_layers=2,
    num_attention_heads=3,
    intermediate_size=40,
    hidden_act="gelu",
    feat_extract_activation="gelu",
    num_conv_pos_embeddings=8,
    num_conv_pos_embedding_groups=4,
    hidden_dropout=0.0,
    attention_dropout=0.0,
    activation_dropout=0.0,
    feat_proj_dropout=0.0,
    feat_quantizer_dropout=0.0,
    final_dropout=0.0,
    layerdrop=0.0,
    mask_time_prob=0.05,
)

# name: (model class, config changes, weight-norm key spelling)
VARIANTS = {
    # wav2vec2-base's arrangement: group-norm extractor without conv bias,
    # post-LN encoder; the pretraining head with awkward quantizer sizes.
    "base_pretraining": (Wav2Vec2ForPreTraining, dict(
        conv_dim=[16, 12, 14, 16], conv_kernel=[5, 3, 3, 2], conv_stride=[3, 2, 2, 2], conv_bias=False,
        feat_extract_norm="group", do_stable_layer_norm=False, layer_norm_eps=1e-5,
        num_codevector_groups=2, num_codevectors_per_group=5, codevector_dim=12, proj_codevector_dim=10),
        "parametrizations"),
    # large-lv60 / XLS-R's: layer-norm extractor with conv bias, stable
    # (pre-LN) encoder; the legacy weight_g / weight_v spelling.
    "large_pretraining": (Wav2Vec2ForPreTraining, dict(
        conv_dim=[16, 16, 16, 16, 16], conv_kernel=[4, 3, 3, 2, 2], conv_stride=[2, 2, 2, 2, 1], conv_bias=True,
        feat_extract_norm="layer", do_stable_layer_norm=True, layer_norm_eps=1e-6,
        num_codevector_groups=3, num_codevectors_per_group=4, codevector_dim=18, proj_codevector_dim=14),
        "legacy"),
    # The other two combinations, as Wav2Vec2Model (no prefix, no quantizer).
    "group_stable_model": (Wav2Vec2Model, dict(
        conv_dim=[16, 16, 16], conv_kernel=[6, 4, 3], conv_stride=[4, 3, 2], conv_bias=True,
        feat_extract_norm="group", do_stable_layer_norm=True, layer_norm_eps=1e-5),
        "parametrizations"),
    "layer_post_model": (Wav2Vec2Model, dict(
        conv_dim=[12, 16, 20], conv_kernel=[6, 4, 3], conv_stride=[4, 3, 2], conv_bias=False,
        feat_extract_norm="layer", do_stable_layer_norm=False, layer_norm_eps=1e-5, mask_time_prob=0.0),
        "parametrizations"),
}

BATCH, SAMPLES = 2, 1000


def rerandomise(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            leaf = name.rsplit(".", 1)[-1]
            is_norm = ("layer_norm" in name or "LayerNorm" in name) and leaf == "weight"
            if is_norm:
                p.copy_(1 + 0.2 * noise)
            elif name.endswith("weight_g") or name.endswith("original0"):
                p.copy_(0.5 + 0.3 * noise.abs())  # a norm per tap: positive
            elif name.endswith("codevectors"):
                p.copy_(noise)
            else:
                p.copy_(0.2 * noise)


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(25)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for name, (cls, changes, spelling) in VARIANTS.items():
        config = Wav2Vec2Config(**{**COMMON, **changes}, architectures=[cls.__name__])
        model = cls(config).eval()
        rerandomise(model, gen)
        d = os.path.join(OUT, name)
        model.save_pretrained(d, safe_serialization=True)
        st = os.path.join(d, "model.safetensors")
        weights = load_file(st)
        keys = sorted(weights)
        # What torch's weight_norm parametrisation is saved as here, and the
        # other spelling where the variant asks for it: both load in
        # transformers, and ssl-import must accept both.
        wn = [k for k in keys if "pos_conv_embed.conv" in k and k.rsplit(".", 1)[-1] != "bias"]
        renamed = {}
        for k in wn:
            if spelling == "legacy":
                renamed[k] = k.replace("parametrizations.weight.original0", "weight_g").replace(
                    "parametrizations.weight.original1", "weight_v")
            else:
                renamed[k] = k.replace("weight_g", "parametrizations.weight.original0").replace(
                    "weight_v", "parametrizations.weight.original1")
        if any(a != b for a, b in renamed.items()):
            weights = {renamed.get(k, k): v.contiguous() for k, v in weights.items()}
            save_file(weights, st, metadata={"format": "pt"})
        # Loading it back proves the file is what transformers reads.
        model = cls.from_pretrained(d).eval()
        fe = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                      return_attention_mask=False)
        fe.save_pretrained(d)
        wave = (torch.randn(BATCH, SAMPLES, generator=gen) * 0.3 + 0.05).numpy().astype(np.float32)
        inputs = fe(list(wave), sampling_rate=16000, return_tensors="pt")
        ref = {"waveform": torch.from_numpy(wave), "input_values": inputs.input_values.float()}
        with torch.no_grad():
            base = model.wav2vec2 if cls is Wav2Vec2ForPreTraining else model
            out = base(inputs.input_values)
            ref["extract_features"] = out.extract_features
            ref["last_hidden_state"] = out.last_hidden_state
            if cls is Wav2Vec2ForPreTraining:
                pt = model(inputs.input_values)
                ref["projected_states"] = pt.projected_states
                ref["projected_quantized_states"] = pt.projected_quantized_states
                G, V = config.num_codevector_groups, config.num_codevectors_per_group
                logits = model.quantizer.weight_proj(out.extract_features)
                logits = logits.view(BATCH, -1, G, V)
                top2 = logits.topk(2, dim=-1).values
                # Where the two best logits nearly tie the argmax depends on
                # rounding: the test compares codes only where this is wide.
                ref["code_margins"] = top2[..., 0] - top2[..., 1]
                ref["codes"] = logits.argmax(-1).float()
        save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, "reference.safetensors"))
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print(f"{name}: {cls.__name__}, {len(keys)} tensors, frames {out.last_hidden_state.shape[1]}, "
              f"{size // 1024} KB, weight norm keys {sorted(renamed.values())}")
    with open(os.path.join(OUT, "VERSIONS"), "w") as f:
        import transformers
        f.write(f"torch {torch.__version__}\ntransformers {transformers.__version__}\n")


if __name__ == "__main__":
    sys.exit(main())
