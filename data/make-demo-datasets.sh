#!/usr/bin/env bash
# Builds the demo datasets from Debian packages into OUT (default demo/):
#   fashion-train.h5, fashion-test.h5   Fashion-MNIST (dataset-fashion-mnist)
#   fortunes-train.h5, fortunes-test.h5 text, one class per fortunes file
#   digits-train.h5, digits-test.h5     spoken digits made with espeak-ng, test voices unheard in training
#   digits-unlabelled.h5                other words by the training voices, and a little recorded speech
# Idempotent: existing outputs are kept. BIN is the folder of the built tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-demo}
BIN=${BIN:-build}
export BIN
mkdir -p "$OUT"
FM=/usr/share/datasets/fashion-mnist
CLASSES="T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
for part in train:train t10k:test; do
  src=${part%%:*} dst=${part##*:}
  if [ ! -e "$OUT/fashion-$dst.h5" ]; then
    echo "== Fashion-MNIST $dst"
    "$BIN/ssl-import" idx "$FM/$src-images-idx3-ubyte.gz" "$FM/$src-labels-idx1-ubyte.gz" \
      --class-names "$CLASSES" -o "$OUT/fashion-$dst.h5"
  fi
done
if [ -x "$here/make-text-demo.sh" ] || [ -f "$here/make-text-demo.sh" ]; then bash "$here/make-text-demo.sh" "$OUT"; fi
if [ -x "$here/make-audio-demo.sh" ] || [ -f "$here/make-audio-demo.sh" ]; then bash "$here/make-audio-demo.sh" "$OUT"; fi
