#!/usr/bin/env bash
# Model shapes as data (issue 24): model files of the previous release load
# and embed as they did; a shape that is no preset trains, is written to
# /config's "encoder", and loads from that config alone.
. "$TESTS/cli/lib.sh"
OLD="$TESTS/data/release-0.1.0"

# Files written by release 0.1.0 (tests/data/release-0.1.0/make.sh): the
# embeddings of today's tools agree with that release's to 1e-6 of the
# largest (f32; on the machine that made them they are bitwise equal).
same_embeddings() {  # MODEL INPUT
  ok ssl-embed "$OLD/$1.h5" "$OLD/$2.h5" --threads 1 --precision f32 --format npy -o "$WORK/$1.npy"
  check_eq "$1 (release 0.1.0) embeds as it did" "$(/usr/bin/python3 -c "
import numpy as np
a, b = np.load('$WORK/$1.npy'), np.load('$OLD/$1.npy')
print(a.shape == b.shape and bool(np.abs(a - b).max() <= 1e-6 * np.abs(b).max()))")" "True"
}
same_embeddings convnet-s images
same_embeddings vit-mini images
same_embeddings bert-tiny text
same_embeddings w2v-tiny audio

# A shape that is no preset: PRESET:key=value,... trains, /config keeps the
# whole shape under "encoder", and the model loads from that alone.
conf() { h5get "$1" "__import__('json').dumps(__import__('json').loads(f['config'][0])$2)"; }
# set_conf FILE PYTHON: edits the model file's /config JSON (c) in place.
set_conf() {
  /usr/bin/python3 -c "
import h5py, json
f = h5py.File('$1', 'r+'); c = json.loads(f['config'][0]); $2
f['config'][0] = json.dumps(c)"
}
npy_shape() { /usr/bin/python3 -c "import numpy; print(numpy.load('$1').shape)"; }
T="--threads 1 --precision f32 -q --max-steps 2"

ok ssl-pretrain "$OLD/text.h5" --method mlm --arch bert-tiny:depth=1,norm=post,eps=1e-12,width=64 --batch 4 $T -o "$WORK/t.h5"
check_eq "text: the shape in /config" "$(conf "$WORK/t.h5" '["encoder"]')" \
  '{"kind": "text", "width": 64, "depth": 1, "heads": 2, "mlp": 256, "norm": "post", "eps": 1e-12, "position": "learned"}'
check_eq "text: arch as given" "$(conf "$WORK/t.h5" '["arch"]')" '"bert-tiny:depth=1,norm=post,eps=1e-12,width=64"'
ok ssl-embed "$WORK/t.h5" "$OLD/text.h5" --threads 1 --format npy -o "$WORK/t.npy"
check_eq "text: embeddings of the shape's width" "$(npy_shape "$WORK/t.npy")" "(80, 64)"
# Built from "encoder" alone: with "arch" turned into a plain preset of
# another width, the model still loads and embeds the same.
cp "$WORK/t.h5" "$WORK/t2.h5"
set_conf "$WORK/t2.h5" 'c["arch"] = "bert-tiny"'
ok ssl-embed "$WORK/t2.h5" "$OLD/text.h5" --threads 1 --format npy -o "$WORK/t2.npy"
check_eq "text: loaded from encoder, not arch" \
  "$(/usr/bin/python3 -c "import numpy; print(bool((numpy.load('$WORK/t.npy') == numpy.load('$WORK/t2.npy')).all()))")" "True"
ssl-info "$WORK/t.h5" >"$WORK/info.txt" || fail "ssl-info on a non-preset model"
grep -Eq "^  encoder +bert-tiny:depth=1,norm=post,eps=1e-12,width=64$" "$WORK/info.txt" || fail "ssl-info: the encoder"
grep -Eq "^  parameters +[0-9]+$" "$WORK/info.txt" || fail "ssl-info: the parameter count"

# Audio and images: a post-LN wav2vec 2.0 with a smaller extractor and an
# even position kernel (as wav2vec2-base), a
# post-LN ViT with ViT's epsilon, a narrower convnet.
ok ssl-pretrain "$OLD/audio.h5" --arch w2v-tiny:depth=1,norm=post,conv_channels=16,pos_kernel=4 --batch 3 $T -o "$WORK/w.h5"
check_eq "audio: the shape in /config" "$(conf "$WORK/w.h5" '["encoder"]')" \
  '{"kind": "w2v", "conv": [{"channels": 16, "kernel": 10, "stride": 5}, {"channels": 16, "kernel": 3, "stride": 2}, {"channels": 16, "kernel": 3, "stride": 2}, {"channels": 16, "kernel": 3, "stride": 2}, {"channels": 16, "kernel": 3, "stride": 2}, {"channels": 16, "kernel": 2, "stride": 2}, {"channels": 16, "kernel": 2, "stride": 2}], "feature_norm": "group", "conv_bias": false, "width": 64, "depth": 1, "heads": 2, "mlp": 256, "norm": "post", "eps": 1e-05, "position": "conv", "pos_kernel": 4, "pos_groups": 4, "pos_weight_norm": false}'
ok ssl-embed "$WORK/w.h5" "$OLD/audio.h5" --threads 1 --format npy -o "$WORK/w.npy"
check_eq "audio: embeddings" "$(npy_shape "$WORK/w.npy")" "(6, 64)"
# Full fine-tuning builds the model's encoder from "encoder", not "arch".
set_conf "$WORK/w.h5" 'c["arch"] = "w2v-tiny"'
ok ssl-finetune "$OLD/audio.h5" --model "$WORK/w.h5" --eval "$OLD/audio.h5" --mode full --epochs 1 --threads 1
ok ssl-finetune "$OLD/text.h5" --model "$WORK/t2.h5" --eval "$OLD/text.h5" --mode full --epochs 1 --threads 1
ok ssl-pretrain "$OLD/images.h5" --method mae --arch vit-mini:width=32,depth=1,heads=2,norm=post,eps=1e-6 --patch 7 --batch 4 $T -o "$WORK/v.h5"
check_eq "image: the ViT's shape in /config" "$(conf "$WORK/v.h5" '["encoder"]')" \
  '{"kind": "vit", "width": 32, "depth": 1, "heads": 2, "mlp": 128, "norm": "post", "eps": 1e-06, "position": "sincos", "patch": 7}'
ok ssl-embed "$WORK/v.h5" "$OLD/images.h5" --threads 1 --format npy -o "$WORK/v.npy"
check_eq "image: ViT embeddings" "$(npy_shape "$WORK/v.npy")" "(20, 32)"
ok ssl-pretrain "$OLD/images.h5" --method simclr --arch convnet-s:widths=8/16/16 --batch 4 $T -o "$WORK/c.h5"
check_eq "image: the convnet's shape" "$(conf "$WORK/c.h5" '["encoder"]')" '{"kind": "convnet", "widths": [8, 16, 16]}'
ok ssl-embed "$WORK/c.h5" "$OLD/images.h5" --threads 1 --format npy -o "$WORK/c.npy"
check_eq "image: convnet embeddings" "$(npy_shape "$WORK/c.npy")" "(20, 16)"

# Refusals: a bad key or value of --arch is a usage error naming it; a bad
# shape in a model file is a data error naming the file and the key.
expect_error 2 "error: --arch: bert-mini:layers=2: 'layers' is not a key of a text encoder" "$WORK/x.h5" \
  ssl-pretrain "$OLD/text.h5" --method mlm --arch bert-mini:layers=2 $T -o "$WORK/x.h5"
expect_error 2 "error: --arch: vit-mini:heads=3: heads: 3 do not divide width 128" "$WORK/x.h5" \
  ssl-pretrain "$OLD/images.h5" --method mae --arch vit-mini:heads=3 $T -o "$WORK/x.h5"
expect_error 2 "error: --arch: convnet-s:widths=8/x: widths=x is not an integer" "$WORK/x.h5" \
  ssl-finetune "$OLD/images.h5" --eval "$OLD/images.h5" --mode full --arch convnet-s:widths=8/x -o "$WORK/x.h5"
cp "$WORK/t.h5" "$WORK/bad.h5"
set_conf "$WORK/bad.h5" 'c["encoder"]["heads"] = 3'
expect_error 1 "bad.h5: /config encoder.heads: 3 do not divide width 64" "$WORK/x.npy" \
  ssl-embed "$WORK/bad.h5" "$OLD/text.h5" --format npy -o "$WORK/x.npy"
set_conf "$WORK/bad.h5" 'del c["encoder"]["heads"]'
expect_error 1 "bad.h5: /config encoder.heads: missing" "$WORK/x.npy" \
  ssl-embed "$WORK/bad.h5" "$OLD/text.h5" --format npy -o "$WORK/x.npy"

finish
