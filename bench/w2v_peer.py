"""The PyTorch peer of one wav2vec 2.0 pretraining step on sslkit's w2v-mini (bench_engine w2v-mini wav2vec).

--model hf (default): Hugging Face transformers' Wav2Vec2ForPreTraining, the step its
examples/pytorch/speech-pretraining/run_wav2vec2_pretraining_no_trainer.py runs: span masks from
_compute_mask_indices and distractor indices from _sample_negative_indices drawn anew for every batch (numpy,
as its data collator does; inside the timed step here), loss = contrastive (summed InfoNCE over masked frames)
+ diversity_loss_weight * diversity, divided by the number of masked frames (the script's multiply_grads(1 /
num_losses), done on the loss: the same gradients), backward, AdamW step, zero_grad. Wav2Vec2Config at the
w2v-mini shape:
  feature encoder  7 convs x 128 channels, kernels (10,3,3,3,3,2,2), strides (5,2,2,2,2,2,2), no conv bias,
                   GroupNorm (groups == channels) after the first conv, GELU: 16000 samples -> 49 frames
  projection       LayerNorm(128) -> Linear 128 -> 256
  transformer      4 layers, 4 heads, MLP 1024, pre-LN (do_stable_layer_norm), positional conv kernel 15,
                   16 groups (weight norm), final LayerNorm
  quantizer        2 groups x 64 codevectors, codevector_dim 128, proj_codevector_dim 128, Gumbel tau 2
  loss             100 distractors per masked frame (drawn with replacement from the clip's ~25 masked frames,
                   so 100 works on 1 s clips), temperature 0.1, diversity weight 0.1
  masks            mask_time_prob 0.65 (fairseq's convention: 0.065 per frame x span 10), span 10, min 2 spans
  no dropout anywhere (hidden, activation, attention, feature projection, quantizer input, layerdrop, final)
  AdamW lr 5e-4, betas (0.9, 0.98), eps 1e-6, weight decay 0.01.
The example script itself refuses feat_extract_norm "group" with do_stable_layer_norm (it asks for "layer");
the model does not, so the model is built directly. Differences from fairseq's wav2vec 2.0 that HF keeps: no
feature_grad_mult (the feature encoder's gradient is not scaled by 0.1), no feature L2 penalty, and the
quantizer and the contrastive logits are computed for all 49 frames (the unmasked ones then ignored by the
loss), not only the masked ones.

--model torchaudio: torchaudio.models.wav2vec2_model with the same encoder (extractor_mode "group_norm", the
same conv layers, embed 256, pos conv 15/16, 4 pre-LN layers of 4 heads and MLP 1024, no dropout, no aux
head). torchaudio has no wav2vec 2.0 quantizer or contrastive loss: this times the ENCODER ONLY (forward,
backward of a mean-pooled loss, the same AdamW step), with no masking: a lower bound on a full step, not
comparable with a full pretraining step.

  w2v_peer.py [--model hf|torchaudio] [--precision fp32|bf16] [--batch 32] [--iters 8] [--warmup-iters 3]
              [--data FILE.h5 (rows of /audio, 16 kHz; the first --batch rows, cut to 1 s)]
prints one JSON line: median step time, seconds of audio per second, peak RSS, the CPU.
Input: --batch 1-second clips at 16 kHz (16000 samples), unit Gaussian noise unless --data.
"""
import argparse, json

import numpy as np
import torch
from peer_timing import cpu_name, median_step_seconds, rss_mib

SAMPLES = 16000  # 1 s at 16 kHz
CONV = [(128, 10, 5)] + [(128, 3, 2)] * 4 + [(128, 2, 2)] * 2  # (channels, kernel, stride)


def clips(batch, data):
    if data is None:
        return torch.randn(batch, SAMPLES)
    import h5py
    with h5py.File(data, "r") as f:
        a = f["audio"]
        if a.shape[0] < batch or a.shape[-1] < SAMPLES:
            raise SystemExit(f"w2v_peer.py: {data}: /audio is {a.shape}; need >= {batch} rows of >= {SAMPLES} samples")
        x = torch.from_numpy(np.asarray(a[:batch, :SAMPLES], dtype=np.float32))
    # the HF feature extractor's do_normalize (the pretraining script requires it): zero mean, unit variance
    return (x - x.mean(1, keepdim=True)) / (x.var(1, keepdim=True) + 1e-7).sqrt()


def hf(a, x, autocast):
    import transformers
    from transformers import Wav2Vec2Config, Wav2Vec2ForPreTraining
    from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices, _sample_negative_indices
    cfg = Wav2Vec2Config(
        conv_dim=[c for c, _, _ in CONV], conv_kernel=[k for _, k, _ in CONV], conv_stride=[s for _, _, s in CONV],
        conv_bias=False, feat_extract_norm="group", feat_extract_activation="gelu",
        hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024, hidden_act="gelu",
        do_stable_layer_norm=True, num_conv_pos_embeddings=15, num_conv_pos_embedding_groups=16,
        num_codevector_groups=2, num_codevectors_per_group=64, codevector_dim=128, proj_codevector_dim=128,
        contrastive_logits_temperature=0.1, diversity_loss_weight=0.1, num_negatives=100,
        mask_time_prob=0.65, mask_time_length=10, mask_time_min_masks=2, apply_spec_augment=True,
        hidden_dropout=0.0, activation_dropout=0.0, attention_dropout=0.0, feat_proj_dropout=0.0,
        feat_quantizer_dropout=0.0, final_dropout=0.0, layerdrop=0.0)
    model = Wav2Vec2ForPreTraining(cfg)
    model.train()  # the quantizer samples Gumbel noise only in training mode
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
    frames = int(model._get_feat_extract_output_lengths(SAMPLES))
    masked = []

    def step():
        m = _compute_mask_indices((x.shape[0], frames), cfg.mask_time_prob, cfg.mask_time_length,
                                  min_masks=cfg.mask_time_min_masks)
        neg = _sample_negative_indices((x.shape[0], frames), cfg.num_negatives, mask_time_indices=m)
        m, neg = torch.tensor(m, dtype=torch.long), torch.tensor(neg, dtype=torch.long)
        n = m.sum()
        masked.append(int(n))
        with autocast():
            out = model(x, mask_time_indices=m, sampled_negative_indices=neg)
        (out.loss / n).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    med = median_step_seconds(step, a.warmup_iters, a.iters)
    return med, {"peer": f"transformers-{transformers.__version__} torch-{torch.__version__}", "model": "hf",
                 "what": "full pretraining step (features, mask, transformer, quantizer, contrastive + diversity)",
                 "attn_implementation": model.config._attn_implementation, "frames": frames,
                 "masked_frames_mean": round(float(np.mean(masked)) / x.shape[0], 2),
                 "num_negatives": cfg.num_negatives, "params": sum(p.numel() for p in model.parameters())}


def ta(a, x, autocast):
    import torchaudio
    from torchaudio.models import wav2vec2_model
    model = wav2vec2_model(
        extractor_mode="group_norm", extractor_conv_layer_config=CONV, extractor_conv_bias=False,
        encoder_embed_dim=256, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=15,
        encoder_pos_conv_groups=16, encoder_num_layers=4, encoder_num_heads=4, encoder_attention_dropout=0.0,
        encoder_ff_interm_features=1024, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0,
        encoder_layer_norm_first=True, encoder_layer_drop=0.0, aux_num_out=None)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
    frames = []

    def step():
        with autocast():
            y, _ = model(x)
        frames.append(y.shape[1])
        y.float().mean(1).pow(2).mean().backward()  # mean-pooled: some loss to back-propagate
        opt.step()
        opt.zero_grad(set_to_none=True)

    med = median_step_seconds(step, a.warmup_iters, a.iters)
    return med, {"peer": f"torchaudio-{torchaudio.__version__} torch-{torch.__version__}", "model": "torchaudio",
                 "what": "encoder only (no quantizer, no contrastive loss, no masking)", "frames": frames[-1],
                 "params": sum(p.numel() for p in model.parameters())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["hf", "torchaudio"], default="hf")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--warmup-iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", help="HDF5 file with /audio [N, >=16000] float rows at 16 kHz")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)  # HF's mask and distractor samplers draw from numpy's global generator
    x = clips(a.batch, a.data)
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16")
    med, info = (hf if a.model == "hf" else ta)(a, x, autocast)
    print(json.dumps({"peer": info.pop("peer"), "precision": a.precision, "batch": a.batch,
                      "seconds_audio_per_s_median": a.batch * SAMPLES / 16000 / med, "step_s_median": med,
                      "peak_rss_mib": rss_mib(), "cpu": cpu_name(), "threads": a.threads,
                      "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "iters": a.iters, "warmup_iters": a.warmup_iters, **info}))


if __name__ == "__main__":
    main()
