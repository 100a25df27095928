#!/usr/bin/env bash
# The semi-supervised protocol on Fashion-MNIST: with 1 % and 10 % of the
# training labels (stratified), the pretrained encoder's linear probe and
# its full fine-tuning, against the same encoder trained from scratch on
# the same labels (same epochs, batch, recipe), all on the 10k test set.
#   bench/label_fraction.sh MODEL.h5 OUT
# Env: BIN, DEMO (demo), EPOCHS_1 (100), EPOCHS_10 (15), ARCH (the model's
# encoder) for the from-scratch baseline.
set -euo pipefail
MODEL=$1 OUT=$2
BIN=${BIN:-build} DEMO=${DEMO:-demo}
mkdir -p "$OUT"
ARCH=${ARCH:-$("$BIN/ssl-info" "$MODEL" | awk '$1 == "encoder" {print $2; exit}')}
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
"$BIN/ssl-embed" "$MODEL" "$DEMO/fashion-train.h5" -o "$OUT/etr.h5" -q
"$BIN/ssl-embed" "$MODEL" "$DEMO/fashion-test.h5" -o "$OUT/ete.h5" -q
printf '%-8s %8s %8s %12s %14s %8s\n' labels epochs linear full_ssl full_scratch seconds
for f in 0.01 0.1; do
  e=${EPOCHS_1:-100}; [ "$f" = 0.1 ] && e=${EPOCHS_10:-15}
  t0=$(date +%s)
  "$BIN/ssl-finetune" "$OUT/etr.h5" --eval "$OUT/ete.h5" --mode linear --label-fraction $f --metrics "$OUT/lin-$f.json" -q > /dev/null
  "$BIN/ssl-finetune" "$DEMO/fashion-train.h5" --model "$MODEL" --mode full --eval "$DEMO/fashion-test.h5" \
    --label-fraction $f --epochs $e --metrics "$OUT/full-$f.json" -o "$OUT/full-$f.h5" -q > /dev/null
  "$BIN/ssl-finetune" "$DEMO/fashion-train.h5" --arch "$ARCH" --mode full --eval "$DEMO/fashion-test.h5" \
    --label-fraction $f --epochs $e --metrics "$OUT/scratch-$f.json" -q > /dev/null
  printf '%-8s %8s %8s %12s %14s %8s\n' "$f" "$e" "$(acc "$OUT/lin-$f.json")" "$(acc "$OUT/full-$f.json")" \
    "$(acc "$OUT/scratch-$f.json")" "$(( $(date +%s) - t0 ))"
done
