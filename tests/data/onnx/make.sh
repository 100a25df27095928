#!/usr/bin/env bash
# Makes the ONNX fixture of tests/cli/test_onnx.sh: one tiny model per
# encoder kind (convnet, resnet, vit with mean pooling, post-LN text, wav2vec
# 2.0 with an even position kernel), every parameter redrawn (so a swapped
# norm or statistic changes the features) and shrunk as the release-0.1.0
# fixture is; the graph ssl-export --to onnx writes for each (NAME.onnx);
# and what onnxruntime computed from that graph on the release-0.1.0 inputs
# (NAME.npz: features with optimisations off and on, and ssl-embed's).
# CI cannot run onnxruntime (no PyPI): it checks that ssl-export still
# writes these very bytes and that ssl-embed still gives these features.
# Usage: make.sh BIN_DIR [PYTHON with onnx, onnxruntime, h5py] ; writes beside itself.
set -eu
BIN=$1
PY=${2:-/work/venv/bin/python}
OUT=$(cd "$(dirname "$0")" && pwd)
IN=$OUT/../release-0.1.0
BENCH=$OUT/../../../bench/interop
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
T="--threads 1 --precision f32 --seed 1 -q --max-steps 2"
"$BIN/ssl-pretrain" "$IN/images.h5" --method simclr --arch convnet-s:widths=4/6/8 --batch 4 $T -o "$W/convnet.h5"
"$BIN/ssl-pretrain" "$IN/images.h5" --method simclr --arch resnet18:widths=4/8/8/12,blocks=1/2/1/1 --batch 4 $T -o "$W/resnet.h5"
"$BIN/ssl-pretrain" "$IN/images.h5" --method simclr --arch vit-mini:width=16,depth=2,heads=2,mlp=24 --patch 7 --batch 4 $T \
  -o "$W/vit.h5"
"$BIN/ssl-pretrain" "$IN/text.h5" --method mlm --arch bert-tiny:width=16,depth=2,heads=2,mlp=24,norm=post,eps=1e-12 \
  --batch 4 $T -o "$W/text.h5"
"$BIN/ssl-pretrain" "$IN/audio.h5" --method wav2vec \
  --arch w2v-tiny:conv_channels=8/8/8/8/8/8/8,width=16,depth=2,heads=2,mlp=24,pos_kernel=4,pos_groups=2 --batch 3 $T \
  -o "$W/w2v.h5"
# The ViT pools by the mean of its patch tokens (the emitter's other branch).
/usr/bin/python3 - "$W/vit.h5" <<'PY'
import sys, json, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    c = json.loads(np.asarray(f["config"][()]).reshape(-1)[0])
    c["pool"] = "mean"
    f["config"][0] = json.dumps(c)
PY
for m in convnet resnet vit text w2v; do
  /usr/bin/python3 "$BENCH/randomize_model.py" "$W/$m.h5" "$OUT/$m.h5" >/dev/null
  /usr/bin/python3 "$IN/shrink.py" "$OUT/$m.h5"
  rm -rf "$W/$m"
  "$BIN/ssl-export" "$OUT/$m.h5" -o "$W/$m" --to onnx
  cp "$W/$m/model.onnx" "$OUT/$m.onnx"
  case $m in text) data=text.h5 ;; w2v) data=audio.h5 ;; *) data=images.h5 ;; esac
  "$PY" "$BENCH/check_onnx.py" "$W/$m" "$OUT/$m.h5" "$IN/$data" --embed "$BIN/ssl-embed" --threads 1 --record "$OUT/$m.npz"
done
