#!/bin/bash
# Each mistake an exporter could make, made on purpose in a hand export of a randomised model: the check must
# fail on every one (exit 1 for wrong features, 2 for a directory that does not load). A check that passes a
# broken map is no check.
#   negative_controls.sh WORKDIR IMAGES.h5 RN18.h5 VIT.h5 [SSL-EMBED]   (models from ssl-pretrain, any method)
set -u
W=$1 DATA=$2 RN=$3 VIT=$4 EMBED=${5:-$(dirname "$0")/../../build/ssl-embed}
PY=${PY:-/work/venv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
$PY "$HERE/randomize_model.py" "$RN" "$W/rn.h5" >/dev/null
$PY "$HERE/randomize_model.py" "$VIT" "$W/vit.h5" >/dev/null
$PY "$HERE/hand_export.py" "$W/rn.h5" --to torchvision -o "$W/tv" >/dev/null
$PY "$HERE/hand_export.py" "$W/vit.h5" --to timm -o "$W/timm" >/dev/null
$PY "$HERE/hand_export.py" "$W/vit.h5" --to hf -o "$W/hf" >/dev/null
bad=0
# control NAME SOURCE-DIR MODEL EXPECTED-EXIT PYTHON-EDIT (edits sd: dict of tensors, cfg: config.json or None)
control() {
  local name=$1 src=$2 model=$3 want=$4 edit=$5 d="$W/neg-$1"
  rm -rf "$d"; cp -r "$src" "$d"
  $PY - "$d" <<PYEOF
import json, os, sys
import numpy as np
from safetensors.numpy import load_file, save_file
d = sys.argv[1]
sd = load_file(os.path.join(d, "model.safetensors"))
cp = os.path.join(d, "config.json")
cfg = json.load(open(cp)) if os.path.exists(cp) else None
$edit
save_file(sd, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
if cfg is not None:
    json.dump(cfg, open(cp, "w"))
PYEOF
  out=$($PY "$HERE/check_export.py" "$d" "$model" "$DATA" --embed "$EMBED" 2>&1); rc=$?
  worst=$(printf '%s\n' "$out" | grep -o 'max_abs=[^ ]*' | sort -t= -k2 -g | tail -1)
  if [ "$rc" = "$want" ]; then echo "control $name: exit $rc as expected ($worst)"
  else echo "control $name: exit $rc, expected $want ($worst) WRONG"; printf '%s\n' "$out" | tail -3; bad=1; fi
}
control none-timm "$W/timm" "$W/vit.h5" 0 'pass'
control qkv-order "$W/timm" "$W/vit.h5" 1 '
w = sd["blocks.0.attn.qkv.weight"]; D = w.shape[1]
sd["blocks.0.attn.qkv.weight"] = np.concatenate([w[D:2*D], w[:D], w[2*D:]])'
control pos-transposed "$W/timm" "$W/vit.h5" 1 '
p = sd["pos_embed"]; L = p.shape[1] - 1; g = int(round(L ** 0.5))
sd["pos_embed"] = np.concatenate([p[:, :1], p[:, 1:].reshape(1, g, g, -1).transpose(0, 2, 1, 3).reshape(1, L, -1)], 1)'
control pos-zero "$W/timm" "$W/vit.h5" 1 'sd["pos_embed"] = np.zeros_like(sd["pos_embed"])'
control ln-swapped "$W/hf" "$W/vit.h5" 1 '
a, b = "encoder.layer.0.layernorm_before.weight", "encoder.layer.0.layernorm_after.weight"
sd[a], sd[b] = sd[b], sd[a]'
control hf-eps-1e-12 "$W/hf" "$W/vit.h5" 1 'cfg["layer_norm_eps"] = 1e-12'
control hf-eps-1e-2 "$W/hf" "$W/vit.h5" 1 'cfg["layer_norm_eps"] = 1e-2'
control hf-missing-key "$W/hf" "$W/vit.h5" 2 'del sd["layernorm.bias"]'
control hf-extra-key "$W/hf" "$W/vit.h5" 2 'sd["pooler.dense.bias"] = np.zeros(4, np.float32)'
control timm-global-pool "$W/timm" "$W/vit.h5" 1 'cfg["model_args"]["global_pool"] = "avg"'
control timm-fc-norm "$W/timm" "$W/vit.h5" 2 'cfg["model_args"]["global_pool"] = "avg"; cfg["model_args"]["fc_norm"] = True'
control hf-mean-wrong "$W/hf" "$W/vit.h5" 1 '
import json; pp = json.load(open(os.path.join(d, "preprocessor_config.json"))); pp["image_mean"] = [0.5]
json.dump(pp, open(os.path.join(d, "preprocessor_config.json"), "w"))'
control none-tv "$W/tv" "$W/rn.h5" 0 'pass'
control bn-stats-swapped "$W/tv" "$W/rn.h5" 1 '
a, b = "layer2.0.bn1.running_mean", "layer2.0.bn1.running_var"
sd[a], sd[b] = sd[b], sd[a]'
control downsample-swapped "$W/tv" "$W/rn.h5" 1 '
a, b = "layer3.0.downsample.1.weight", "layer3.0.bn2.weight"
sd[a], sd[b] = sd[b], sd[a]'
# torch's BatchNorm fills in a missing num_batches_tracked when the state dict has no version (_metadata), as
# one from a safetensors file never has: strict=True loads without them (torch 2.15), so exit 0.
control no-num-batches-tracked "$W/tv" "$W/rn.h5" 0 '
for k in [k for k in sd if k.endswith("num_batches_tracked")]: del sd[k]'
exit $bad
