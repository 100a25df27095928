#!/usr/bin/env bash
# Makes the release-0.1.0 fixture: tiny model files written by the tools of
# the previous release (main at 075e65f, before encoder shapes were data),
# one per encoder family, and their ssl-embed outputs on tiny inputs.
# tests/cli/test_model_shapes.sh embeds with these models using the current
# tools and compares with the embeddings stored here.
# Usage: make.sh BIN_DIR (the old tools) [DATA_DIR]; writes beside itself.
set -eu
BIN=$1
DATA=${2:-$(cd "$(dirname "$0")/../../../data" && pwd)}
OUT=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
T="--threads 1 --precision f32 --seed 1 -q"
"$BIN/ssl-import" idx "$DATA/idx/fashion-20-images-idx3-ubyte" -o "$W/img.h5" -q
"$BIN/ssl-import" text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 120 --max-len 16 -o "$W/text.h5" -q
"$BIN/ssl-import" audio "$DATA/audio" --seconds 0.25 -o "$W/audio.h5" -q

"$BIN/ssl-pretrain" "$W/img.h5" --method simclr --arch convnet-s --batch 4 --max-steps 2 $T -o "$OUT/convnet-s.h5"
"$BIN/ssl-pretrain" "$W/img.h5" --method simclr --arch vit-mini --batch 4 --max-steps 2 $T -o "$OUT/vit-mini.h5"
"$BIN/ssl-pretrain" "$W/text.h5" --method mlm --arch bert-tiny --batch 4 --max-steps 2 $T -o "$OUT/bert-tiny.h5"
"$BIN/ssl-pretrain" "$W/audio.h5" --method wav2vec --arch w2v-tiny --batch 3 --max-steps 2 $T -o "$OUT/w2v-tiny.h5"

# Kept small (the brief: well under 2 MB): the optimizer state is dropped,
# every parameter is rounded to multiples of the power of two nearest
# its tensor's standard deviation and stored gzip-compressed (the HDF5
# reader decompresses transparently). The files stay in the old release's layout and /config;
# the embeddings below are the old tools' output on these edited files.
for m in convnet-s vit-mini bert-tiny w2v-tiny; do
  /usr/bin/python3 "$OUT/shrink.py" "$OUT/$m.h5"
done

# The inputs the test embeds, kept beside the models (small: 20 images, the
# text rows, 6 clips of 0.25 s), gzip-compressed the same way (they hold no
# /params, so nothing is rounded).
cp "$W/img.h5" "$OUT/images.h5"
cp "$W/text.h5" "$OUT/text.h5"
cp "$W/audio.h5" "$OUT/audio.h5"
for d in images text audio; do /usr/bin/python3 "$OUT/shrink.py" "$OUT/$d.h5"; done
E="--threads 1 --precision f32 -q --format npy"
"$BIN/ssl-embed" "$OUT/convnet-s.h5" "$OUT/images.h5" $E -o "$OUT/convnet-s.npy"
"$BIN/ssl-embed" "$OUT/vit-mini.h5" "$OUT/images.h5" $E -o "$OUT/vit-mini.npy"
"$BIN/ssl-embed" "$OUT/bert-tiny.h5" "$OUT/text.h5" $E -o "$OUT/bert-tiny.npy"
"$BIN/ssl-embed" "$OUT/w2v-tiny.h5" "$OUT/audio.h5" $E -o "$OUT/w2v-tiny.npy"
