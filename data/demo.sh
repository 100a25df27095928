#!/usr/bin/env bash
# The demo pipeline on the datasets make-demo-datasets.sh built in OUT:
# look at the data, pretrain SimCLR on Fashion-MNIST without labels for
# DEMO_BUDGET seconds, embed, and compare a linear probe and kNN on the
# embeddings with the same on raw pixels; then BERT-style masked language
# modelling on the fortunes text for DEMO_TEXT_BUDGET seconds, scored on the
# held-out fortunes, asked to fill a [MASK], and probed on the categories.
set -euo pipefail
OUT=${1:-demo}
BIN=${BIN:-build}
BUDGET=${DEMO_BUDGET:-600}
TEXT_BUDGET=${DEMO_TEXT_BUDGET:-180}
# Crops of 20-100 %, flips and brightness/contrast jitter: the PyTorch
# peer's recipe (shared/peer/simclr_peer.py), so the demo's figures compare
# like with like (bench/pretrain_eval.sh). On 28x28 grayscale, saturation,
# hue and grayscale do nothing anyway.
RECIPE=${DEMO_RECIPE:-"crop(0.2,1) flip(0.5) jitter(0.4,0.4,0,0,p=0.8)"}
for f in "$OUT"/*-train.h5; do
  echo "== $f"
  "$BIN/ssl-info" "$f" | sed -n '1,2p'
done
"$BIN/ssl-info" "$OUT/fashion-train.h5" --preview "$OUT/fashion-train.png" > /dev/null
[ -e "$OUT/digits-train.h5" ] && "$BIN/ssl-info" "$OUT/digits-train.h5" --preview "$OUT/digits-train.png" > /dev/null
[ -e "$OUT/fortunes-train.h5" ] && "$BIN/ssl-info" "$OUT/fortunes-train.h5" --preview - --preview-count 3 | sed -n '/^samples:/,/^history:/p'
"$BIN/ssl-augment" "$OUT/fashion-test.h5" --recipe simclr --strength 0.5 -o "$OUT/views.h5" --preview "$OUT/simclr-views.png" --preview-count 8 -q

echo "== pretraining SimCLR (convnet-s) on Fashion-MNIST without labels for ${BUDGET} s"
"$BIN/ssl-pretrain" "$OUT/fashion-train.h5" --method simclr --arch convnet-s --time-budget "$BUDGET" \
  --recipe "$RECIPE" -o "$OUT/simclr.h5" --log-json "$OUT/simclr-log.jsonl"
"$BIN/ssl-embed" "$OUT/simclr.h5" "$OUT/fashion-train.h5" -o "$OUT/emb-train.h5"
"$BIN/ssl-embed" "$OUT/simclr.h5" "$OUT/fashion-test.h5" -o "$OUT/emb-test.h5"
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
"$BIN/ssl-finetune" "$OUT/emb-train.h5" --eval "$OUT/emb-test.h5" --mode linear --metrics "$OUT/linear.json" --plot "$OUT/confusion.png" -q > /dev/null
"$BIN/ssl-finetune" "$OUT/emb-train.h5" --eval "$OUT/emb-test.h5" --mode knn --metrics "$OUT/knn.json" -q > /dev/null
"$BIN/ssl-finetune" "$OUT/fashion-train.h5" --eval "$OUT/fashion-test.h5" --raw-pixels --mode knn --metrics "$OUT/knn-raw.json" -q > /dev/null
"$BIN/ssl-finetune" "$OUT/fashion-train.h5" --eval "$OUT/fashion-test.h5" --raw-pixels --mode linear --epochs 30 --metrics "$OUT/linear-raw.json" -q > /dev/null
echo
echo "What self-supervision bought (Fashion-MNIST test accuracy, 10 classes):"
printf '  %-28s %s\n' "linear probe, raw pixels" "$(acc "$OUT/linear-raw.json")"
printf '  %-28s %s\n' "linear probe, SimCLR" "$(acc "$OUT/linear.json")"
printf '  %-28s %s\n' "kNN (k=200, T=0.1), raw" "$(acc "$OUT/knn-raw.json")"
printf '  %-28s %s\n' "kNN (k=200, T=0.1), SimCLR" "$(acc "$OUT/knn.json")"
echo "previews: $OUT/fashion-train.png $OUT/simclr-views.png $OUT/confusion.png"

[ -e "$OUT/fortunes-train.h5" ] || exit 0
echo
echo "== masked language modelling (bert-mini) on fortunes for ${TEXT_BUDGET} s, scored on the held-out fortunes"
"$BIN/ssl-mask" "$OUT/fortunes-test.h5" --scheme mlm --seed 1 -o "$OUT/fortunes-test-masked.h5" -q
"$BIN/ssl-pretrain" "$OUT/fortunes-train.h5" --time-budget "$TEXT_BUDGET" --eval "$OUT/fortunes-test-masked.h5" \
  -o "$OUT/mlm.h5" --log-json "$OUT/mlm-log.jsonl"
"$BIN/ssl-info" "$OUT/mlm.h5" | sed -n '/^model:/,/^format:/p' | grep -E "method|encoder|steps|held out"
echo "fill the mask: \"the [MASK] of the computer\""
"$BIN/ssl-info" "$OUT/mlm.h5" --predict "the [MASK] of the computer" --top 5 | sed 's/^/  /'
"$BIN/ssl-finetune" "$OUT/fortunes-train.h5" --model "$OUT/mlm.h5" --eval "$OUT/fortunes-test.h5" --mode linear \
  --metrics "$OUT/text-linear.json" -q > /dev/null
"$BIN/ssl-finetune" "$OUT/fortunes-train.h5" --model "$OUT/mlm.h5" --eval "$OUT/fortunes-test.h5" --mode knn --k 20 \
  --knn-temperature 0.07 --metrics "$OUT/text-knn.json" -q > /dev/null
echo "Fortunes categories from sentence embeddings (test accuracy, 5 classes):"
printf '  %-28s %s\n' "linear probe, MLM" "$(acc "$OUT/text-linear.json")"
printf '  %-28s %s\n' "kNN (k=20, T=0.07), MLM" "$(acc "$OUT/text-knn.json")"
